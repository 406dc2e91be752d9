/**
 * Benchmark models: how to export each one (tools/export_torchvision.py, Debian's /usr/bin/python3 with torch) and
 * how many steady-state runs to time. Files live in zoo-out/bench/ (ignored by git): NAME.onnx, NAME.input.npy (seeded
 * input), NAME.output.npy (PyTorch's output for it).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const MODEL_DIR = join(REPO_ROOT, 'zoo-out', 'bench');
export const PYTHON = '/usr/bin/python3';

export interface BenchModel {
  name: string;
  /** Timed steady runs per runtime (fewer for the big models: ORT-web needs ~10-20 s per run of them here). */
  reps: number;
  /** Seconds of timed runs per job after which no further run starts (at least minReps are always done). */
  maxSeconds: number;
  /** Big models are opt-in (--models); the default list must finish within 20 minutes on this machine. */
  big: boolean;
}

const small = (name: string): BenchModel => ({ name, reps: 20, maxSeconds: 20, big: false });
const big = (name: string, reps = 3): BenchModel => ({ name, reps, maxSeconds: 45, big: true });

/** Known models, in issue 7's order. Any other torchvision classifier name works too (treated as big). */
export const KNOWN_MODELS: BenchModel[] = [
  small('resnet20'),
  { ...small('resnet18'), reps: 5, maxSeconds: 40 },
  small('mobilenet_v3_small'),
  small('squeezenet1_1'),
  big('resnet50'),
  big('densenet121'),
  big('resnext50_32x4d'),
];

export const DEFAULT_MODELS = ['resnet20', 'resnet18'];

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

/** Exports the model (once) when any of its three files is missing; returns the paths. */
export function ensureModel(name: string, dir = MODEL_DIR, log: (s: string) => void = () => undefined): ModelFiles {
  const files = modelFiles(name, dir);
  if ([files.onnx, files.input, files.output].every((f) => existsSync(f))) return files;
  if (!/^[a-z0-9_]+$/.test(name)) throw new ModelExportError(`model name '${name}' is not a torchvision model name`);
  if (!existsSync(PYTHON)) throw new ModelExportError(`${files.onnx} is missing and ${PYTHON} (with torch) is not installed to export it`);
  mkdirSync(dirname(files.onnx), { recursive: true });
  log(`exporting ${name} with tools/export_torchvision.py ...`);
  try {
    execFileSync(PYTHON, [join(REPO_ROOT, 'tools', 'export_torchvision.py'), '--model', name, '-o', files.onnx], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new ModelExportError(`export of ${name} failed: ${err.stderr?.toString().trim().split('\n').slice(-3).join(' | ') || err.message}`);
  }
  return files;
}
