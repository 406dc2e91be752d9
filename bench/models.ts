/**
 * Benchmark models: how to export each one (tools/export_torchvision.py or, for GhostNet, the model zoo's
 * tools/zoo/export_all.py; Debian's /usr/bin/python3 with torch) and
 * how many steady-state runs to time. Files live in zoo-out/bench/ (ignored by git): NAME.onnx, NAME.input.npy (seeded
 * input), NAME.output.npy (PyTorch's output for it).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const MODEL_DIR = join(REPO_ROOT, 'zoo-out', 'bench');
/** Python with torch for exports; TESSERA_PYTHON overrides (the GPU machines' python3 is elsewhere). */
export const PYTHON = process.env['TESSERA_PYTHON'] || '/usr/bin/python3';

export interface BenchModel {
  name: string;
  /** Timed steady runs per runtime (fewer for the big models: ORT-web needs ~10-60 s per run of them here). */
  reps: number;
  /** Seconds of timed runs per job after which no further run starts (at least min(3, reps) are always done). */
  maxSeconds: number;
  /** Big models: 224x224 ImageNet networks above ~1 GMAC, or with hundreds of kernels. */
  big: boolean;
  /** Exported by the model zoo (tools/zoo/export_all.py --only <zoo>) instead of tools/export_torchvision.py. */
  zoo?: string;
  /** ONNX opset of the export (default: tools/export_torchvision.py's 13). */
  opset?: number;
}

const small = (name: string): BenchModel => ({ name, reps: 20, maxSeconds: 20, big: false });
const big = (name: string, reps = 2): BenchModel => ({ name, reps, maxSeconds: 30, big: true });

/**
 * Known models, in issue 7's order, then issue 18's LR-ASPP. Any other torchvision classifier or segmentation model
 * name works too (treated as big).
 */
export const KNOWN_MODELS: BenchModel[] = [
  small('resnet20'),
  { ...small('resnet18'), reps: 5, maxSeconds: 40 },
  small('mobilenet_v3_small'),
  small('squeezenet1_1'),
  big('resnet50'),
  big('densenet121'),
  big('resnext50_32x4d'),
  { ...small('ghostnet'), reps: 10, zoo: 'ghostnet-1.0x' },
  // Issue 18: LR-ASPP (torchvision's segmentation head on MobileNetV3-large, 21 classes, 'out' only), exported at
  // 1x3x224x224 like the classifiers (~0.4 GMAC there; torchvision's 520x520 reference size is ~2 GMAC), output
  // [1, 21, 224, 224] after the model's own bilinear Resize. Not in the default list (issue 7's eight).
  { ...small('lraspp_mobilenet_v3_large'), reps: 10, maxSeconds: 30 },
  // Issue 15: today's classifiers, exported at opset 17 as a user of torch 1.13 would (LayerNormalization is one op
  // there; GELU is Erf + Mul/Add, attention MatMul/Softmax/MatMul). vit_tiny is DeiT-Tiny's size as a torchvision
  // VisionTransformer (tools/export_torchvision.py CUSTOM_CLASSIFIERS). Not in the default list.
  { ...big('convnext_tiny', 3), opset: 17 },
  { ...small('vit_tiny'), reps: 5, maxSeconds: 30, opset: 17 },
  { ...big('swin_t', 3), opset: 17 },
];

/**
 * `npm run bench` without --models: all eight of issue 7 (13 min on this 2-core machine with SwiftShader, the other
 * runtimes' jobs being most of it: docs/performance.md).
 */
export const DEFAULT_MODELS = KNOWN_MODELS.filter((m) => !['lraspp_mobilenet_v3_large', 'convnext_tiny', 'vit_tiny', 'swin_t'].includes(m.name)).map((m) => m.name);

export function modelInfo(name: string): BenchModel {
  return KNOWN_MODELS.find((m) => m.name === name) ?? big(name);
}

export interface ModelFiles {
  onnx: string;
  input: string;
  output: string;
}

export function modelFiles(name: string, dir = MODEL_DIR): ModelFiles {
  const stem = join(dir, name);
  return { onnx: `${stem}.onnx`, input: `${stem}.input.npy`, output: `${stem}.output.npy` };
}

export class ModelExportError extends Error {
  override name = 'ModelExportError';
}

function runPython(name: string, args: string[]): void {
  try {
    execFileSync(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new ModelExportError(`export of ${name} failed: ${err.stderr?.toString().trim().split('\n').slice(-3).join(' | ') || err.message}`);
  }
}

/**
 * A zoo model's three files into `files`: from the zoo's own output (zoo-out/<zoo>/, written by `npm run zoo`) when
 * it is there, else exported into <dir>/zoo/<zoo>/ first. Same seeded weights and input either way.
 */
function ensureZooModel(name: string, zoo: string, files: ModelFiles, dir: string, log: (s: string) => void): void {
  const fromZoo = (root: string) => ({ onnx: join(root, zoo, 'model.onnx'), input: join(root, zoo, 'input.npy'), output: join(root, zoo, 'output.npy') });
  let src = fromZoo(join(REPO_ROOT, 'zoo-out'));
  if (![src.onnx, src.input, src.output].every((f) => existsSync(f))) {
    src = fromZoo(join(dir, 'zoo'));
    log(`exporting ${zoo} with tools/zoo/export_all.py ...`);
    runPython(name, [join(REPO_ROOT, 'tools', 'zoo', 'export_all.py'), '--only', zoo, '-o', join(dir, 'zoo')]);
  }
  copyFileSync(src.onnx, files.onnx);
  copyFileSync(src.input, files.input);
  copyFileSync(src.output, files.output);
}

/** Exports the model (once) when any of its three files is missing; returns the paths. */
export function ensureModel(name: string, dir = MODEL_DIR, log: (s: string) => void = () => undefined): ModelFiles {
  const files = modelFiles(name, dir);
  if ([files.onnx, files.input, files.output].every((f) => existsSync(f))) return files;
  if (!/^[a-z0-9_]+$/.test(name)) throw new ModelExportError(`model name '${name}' is not a torchvision model name`);
  if (!existsSync(PYTHON)) throw new ModelExportError(`${files.onnx} is missing and ${PYTHON} (with torch) is not installed to export it`);
  mkdirSync(dirname(files.onnx), { recursive: true });
  const zoo = modelInfo(name).zoo;
  if (zoo) {
    ensureZooModel(name, zoo, files, dir, log);
    return files;
  }
  log(`exporting ${name} with tools/export_torchvision.py ...`);
  const opset = modelInfo(name).opset;
  runPython(name, [join(REPO_ROOT, 'tools', 'export_torchvision.py'), '--model', name, '-o', files.onnx, ...(opset ? ['--opset', String(opset)] : [])]);
  return files;
}
