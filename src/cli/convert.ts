/** `tessera convert`: ONNX (or .tessera) → .tessera, with preprocessing metadata from flags. */
import { existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { MAX_CALIBRATION_IMAGES, calibrationFromImages } from './calibration_images.js';
import { writeTessera } from '../format/index.js';
import { inferShapes } from '../graph/infer.js';
import type { GraphMetadata } from '../graph/ir.js';
import type { BinarySummary } from '../graph/passes/binarize.js';
import { helpText, numberList, parseArgs, parseNumber, stringFlag, boolFlag, requireOnePositional, type CommandSpec } from './args.js';
import { CliError, UsageError } from './errors.js';
import { readTextFile, writeOutputFile } from './files.js';
import { bytesText, si, thousands } from './format.js';
import type { CliIo } from './io.js';
import { parseLabels } from './metadata.js';
import { loadModel, mainInput } from './model.js';
import { modelStats } from '../graph/model_stats.js';
import { convertPipeline } from './pipeline.js';
import { int8Line, quantizeWeightsInt8 } from '../graph/passes/quantize_int8.js';
import { CalibrationUnavailable, DEFAULT_MIN_AGREEMENT, quantizeWeightsInt8Mixed, type MixedInt8Result } from '../graph/passes/int8_mixed.js';
import { readNpy } from '../io/npy.js';
import type { Graph, Tensor } from '../graph/ir.js';
import { readInputFile } from './files.js';

export const convertSpec: CommandSpec = {
  name: 'convert',
  brief: 'convert an ONNX model to .tessera (with labels and preprocessing metadata)',
  summary:
    'Convert an ONNX model to a .tessera file. The graph is optimised (BN folding, epilogue fusion) and layers with exactly binary weights ' +
    'become bit-packed binary layers (XNOR-Net / BWN); both rewrites are exact. Flags override the metadata the exporter stored in ONNX metadata_props.',
  usage: 'tessera convert MODEL.onnx -o OUT.tessera [options]',
  flags: {
    output: { type: 'string', alias: 'o', value: 'FILE', help: 'output .tessera file (required)' },
    fp16: { type: 'boolean', help: 'store conv/gemm/matmul/batchnorm weights as float16 (half the size; binary layers stay 1 bit)' },
    int8: { type: 'boolean', help: 'store conv/gemm/matmul weights as int8 with one scale per output channel (about 4x smaller; with --fp16 the rest is f16); with --int8-calibration only where the top-1 holds' },
    'int8-min-agreement': {
      type: 'string',
      value: 'P',
      help: `--int8 --int8-calibration: keep weights float where int8 would bring the estimated top-1 agreement with the float model under P (default ${DEFAULT_MIN_AGREEMENT}; 0 = every weight int8)`,
    },
    'int8-calibration': {
      type: 'string',
      value: 'DIR|X.npy',
      help: `--int8: real inputs to measure each layer's effect on the outputs: a folder of images (PNG / JPEG / WebP, the first ${MAX_CALIBRATION_IMAGES} by name, preprocessed as 'run --image' does), preprocessed model inputs [N, ...] float32 (.npy), or 'synthetic' (16 seeded images; their margins are not real images')`,
    },
    'no-optimize': { type: 'boolean', help: 'write the graph as imported (no BN folding / epilogue fusion)' },
    'no-binarize': { type: 'boolean', help: 'keep exactly binary (XNOR-Net / BWN) layers as float weights, not 1 bit each' },
    labels: { type: 'string', value: 'FILE', help: 'class names, one per line (line i = class i)' },
    mean: { type: 'string', value: 'R,G,B', help: 'per-channel mean, applied after --pixel-scale' },
    std: { type: 'string', value: 'R,G,B', help: 'per-channel standard deviation' },
    'input-size': { type: 'string', value: 'C,H,W', help: 'input image size without batch, e.g. 3,32,32' },
    'pixel-scale': { type: 'string', value: 'S', help: 'pixel scale before mean/std: 1/255 (default) or 1 for raw 0..255' },
    name: { type: 'string', value: 'NAME', help: 'model name stored in the file' },
  },
  epilog: 'Example:\n  tessera convert resnet20.onnx -o resnet20.tessera --labels classes.txt --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225',
};

export async function convertCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, convertSpec);
  if (boolFlag(args, 'help')) return io.out(helpText(convertSpec)), 0;
  const input = requireOnePositional(args, 'convert', 'input model file');
  const output = stringFlag(args, 'output');
  if (output === undefined) throw new UsageError(`convert: missing -o/--output FILE (see 'tessera convert --help')`);

  const sizeFlag = stringFlag(args, 'input-size');
  const inputSize = sizeFlag !== undefined ? numberList(sizeFlag, 'convert --input-size', 3) : undefined;
  if (inputSize && inputSize.some((d) => !Number.isInteger(d) || d <= 0))
    throw new UsageError(`convert --input-size: expected three positive integers C,H,W, got '${sizeFlag}'`);

  let model = loadModel(input, 'convert: input model');
  // A model with dynamic spatial dims needs --input-size to get static shapes for every layer.
  const inp = mainInput(model.graph);
  if (inputSize && model.format === 'onnx' && inp.shape.length === 4 && inp.shape.slice(1).some((d) => d < 0)) {
    model = loadModel(input, 'convert: input model', { inputShapes: { [inp.name]: [inp.shape[0]!, ...inputSize] } });
  }
  // Metadata flags first: they are checked against the model as imported, before the (slower) rewrites.
  const imported = model.graph;
  imported.metadata = applyMetadataFlags(imported.metadata, {
    labels: stringFlag(args, 'labels'),
    mean: stringFlag(args, 'mean'),
    std: stringFlag(args, 'std'),
    pixelScale: stringFlag(args, 'pixel-scale'),
    name: stringFlag(args, 'name'),
    inputSize,
  });
  if (imported.metadata.name === undefined) imported.metadata.name = basename(input).replace(/\.[^.]*$/, '');
  const channels = imported.metadata.inputSize?.[0] ?? (inp.shape.length === 4 && inp.shape[1]! > 0 ? inp.shape[1] : undefined);
  for (const key of ['mean', 'std'] as const) {
    const v = imported.metadata[key];
    if (v && channels !== undefined && v.length !== channels && v.length !== 1)
      throw new UsageError(`convert --${key}: ${v.length} values but the model input has ${channels} channel${channels === 1 ? '' : 's'}`);
  }

  const optimized = !boolFlag(args, 'no-optimize');
  const binarized = !boolFlag(args, 'no-binarize');
  let graph = convertPipeline(imported, { optimize: optimized, binarize: binarized });
  // After the passes: the weights quantised are the final ones (BatchNorm folded in).
  let int8: MixedInt8Result | undefined;
  if (boolFlag(args, 'int8')) {
    int8 = quantizeMixed(graph, args, io);
    graph = int8.graph;
  } else if (stringFlag(args, 'int8-min-agreement') !== undefined || stringFlag(args, 'int8-calibration') !== undefined) {
    throw new UsageError('convert: --int8-min-agreement and --int8-calibration need --int8');
  }

  const shapes = inferShapes(graph);
  const stats = modelStats(graph, shapes);
  const classes = graph.outputs[0] ? shapes.get(graph.outputs[0].name)?.shape.at(-1) : undefined;
  const labels = graph.metadata.labels;
  if (labels && classes !== undefined && classes > 0 && labels.length !== classes)
    io.err(`warning: ${labels.length} labels but the model outputs ${classes} classes`);

  const bytes = writeTessera(graph, { fp16: boolFlag(args, 'fp16') });
  writeOutputFile(output, bytes, 'convert -o');

  const opCounts = new Map<string, number>();
  for (const n of graph.nodes) opCounts.set(n.op, (opCounts.get(n.op) ?? 0) + 1);
  const ops = [...opCounts].map(([op, c]) => (c > 1 ? `${op}×${c}` : op)).join(', ');
  io.out(`${input} -> ${output}`);
  io.out(`  model:   ${graph.metadata.name}`);
  io.out(`  ops:     ${graph.nodes.length} (${ops})`);
  io.out(`  params:  ${thousands(stats.totals.params)}`);
  io.out(`  MACs:    ${si(stats.totals.macs)} per image`);
  io.out(`  passes:  ${[optimized ? 'optimize' : '', binarized ? 'binarize' : ''].filter(Boolean).join(' + ') || 'none'}`);
  io.out(`  binary:  ${binaryLine(stats.binary, binarized)}`);
  io.out(`  weights: ${boolFlag(args, 'fp16') ? 'float16' : 'float32'}${stats.binary.layers.length ? ', binary layers 1 bit per weight' : ''}`);
  if (int8) io.out(`  int8:    ${int8Line(int8.summary)}${mixedLine(int8)}`);
  io.out(`  file:    ${bytesText(bytes.length)} (input ${bytesText(model.fileBytes)})`);
  if (labels) io.out(`  labels:  ${labels.length} (${labels.slice(0, 5).join(', ')}${labels.length > 5 ? ', ...' : ''})`);
  return 0;
}

/** `--int8` with mixed precision; without a usable calibration (several inputs, a dynamic size): all int8, with a warning. */
function quantizeMixed(graph: Graph, args: ReturnType<typeof parseArgs>, io: CliIo): MixedInt8Result {
  const p = stringFlag(args, 'int8-min-agreement');
  const minAgreement = p === undefined ? DEFAULT_MIN_AGREEMENT : parseNumber(p, 'convert --int8-min-agreement');
  if (!(minAgreement >= 0 && minAgreement <= 1)) throw new UsageError(`convert --int8-min-agreement: expected a number in [0, 1], got '${p}'`);
  const file = stringFlag(args, 'int8-calibration');
  if (p !== undefined && file === undefined) throw new UsageError('convert --int8-min-agreement: needs --int8-calibration (inputs to measure the agreement on)');
  let calibration: Tensor | 'synthetic' | undefined = file === 'synthetic' ? file : undefined;
  if (file !== undefined && file !== 'synthetic' && existsSync(file) && statSync(file).isDirectory()) {
    const images = calibrationFromImages(file, graph);
    calibration = images.tensor;
    io.err(`int8 calibration: ${images.files} images from ${file}${images.skipped ? ` (${images.skipped} more not read: at most ${MAX_CALIBRATION_IMAGES})` : ''}`);
  } else if (file !== undefined && file !== 'synthetic') {
    calibration = readNpy(readInputFile(file, 'convert --int8-calibration'), file);
    const input = mainInput(graph);
    const t = calibration;
    const fits = t.dtype === 'f32' && t.shape.length === input.shape.length && t.shape[0]! > 0 && input.shape.slice(1).every((d, i) => d < 0 || d === t.shape[i + 1]);
    if (!fits)
      throw new UsageError(`convert --int8-calibration ${file}: expected float32 [N, ${input.shape.slice(1).join(', ')}] (the model input '${input.name}'), got ${t.dtype} [${t.shape.join(', ')}]`);
  }
  try {
    return quantizeWeightsInt8Mixed(graph, { minAgreement, calibration });
  } catch (err) {
    if (!(err instanceof CalibrationUnavailable)) throw err;
    io.err(`warning: --int8: no calibration (${err.message}); every candidate weight is int8`);
    return { ...quantizeWeightsInt8(graph), floatLayers: [] };
  }
}

/** ", K kept float (estimated top-1 agreement ...)" after the int8 line; a hint when nothing was measured. */
export function mixedLine(r: MixedInt8Result): string {
  if (!r.estimate) return r.summary.layers.length ? '; top-1 not checked (--int8-calibration)' : '';
  const e = r.estimate;
  const on = `${e.inputs} ${e.synthetic ? 'synthetic' : 'calibration'} inputs`;
  const pct = (a: number) => `${(100 * a).toFixed(1)} %`;
  if (r.floatLayers.length === 0) return `; estimated top-1 agreement ${pct(e.agreement)} on ${on}`;
  return `; ${r.floatLayers.length} kept float (estimated top-1 agreement ${pct(e.agreement)}, all-int8 ${pct(e.allInt8Agreement)}, on ${on})`;
}

/** One line: how many layers became binary and the weight bytes that saved. */
export function binaryLine(summary: BinarySummary, enabled: boolean): string {
  if (!enabled) return 'off (--no-binarize)';
  const n = summary.layers.length;
  if (n === 0) return 'none (no layer has exactly binary weights)';
  const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
  const ops = [...new Set(summary.layers.map((l) => l.op))].join(', ');
  return `${n} layer${n > 1 ? 's' : ''} (${ops}), weights ${kib(summary.floatBytes)} as f32 -> ${kib(summary.binaryBytes)}, ${kib(summary.savedBytes)} saved`;
}

interface MetadataFlags {
  labels?: string;
  mean?: string;
  std?: string;
  pixelScale?: string;
  name?: string;
  inputSize?: number[];
}

/** Flags win over whatever the model file already carried. */
export function applyMetadataFlags(meta: GraphMetadata, flags: MetadataFlags): GraphMetadata {
  const out: GraphMetadata = { ...meta };
  if (flags.labels !== undefined) {
    const labels = parseLabels(readTextFile(flags.labels, 'convert --labels'));
    if (labels.length === 0) throw new CliError(`convert --labels '${flags.labels}': file has no labels`);
    out.labels = labels;
  }
  if (flags.mean !== undefined) out.mean = numberList(flags.mean, 'convert --mean');
  if (flags.std !== undefined) {
    out.std = numberList(flags.std, 'convert --std');
    if (out.std.some((s) => s === 0)) throw new UsageError(`convert --std: values must be non-zero, got '${flags.std}'`);
  }
  if (flags.pixelScale !== undefined) out.pixelScale = parseNumber(flags.pixelScale, 'convert --pixel-scale');
  if (flags.name !== undefined) out.name = flags.name;
  if (flags.inputSize !== undefined) {
    out.inputSize = flags.inputSize;
    out.layout = 'NCHW';
  }
  return out;
}
