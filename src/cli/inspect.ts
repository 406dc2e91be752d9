/** `tessera inspect`: per-layer table (op, name, output shape, params, MACs), totals and metadata. */
import { inferShapes } from '../graph/infer.js';
import type { Graph } from '../graph/ir.js';
import { formatBinarySummary, type BinarySummary } from '../graph/passes/binarize.js';
import { boolFlag, helpText, parseArgs, requireOnePositional, type CommandSpec } from './args.js';
import { bytesText, shapeText, si, table, thousands } from './format.js';
import { describeError, isTypedError } from './errors.js';
import type { CliIo } from './io.js';
import { loadModel } from './model.js';
import { modelStats } from '../graph/model_stats.js';
import { convertPipeline } from './pipeline.js';
import { UsageError } from './errors.js';
import { int8Line, quantizeWeightsInt8, storedInt8Summary, type Int8Summary } from '../graph/passes/quantize_int8.js';

export const inspectSpec: CommandSpec = {
  name: 'inspect',
  brief: 'per-layer shapes, parameter and MAC counts, metadata',
  summary:
    'Show the layers of a .tessera or .onnx model with output shapes, parameter and MAC counts, and its metadata. Binary (XNOR-Net / BWN) ' +
    'layers are listed with the weight bytes they save; for an ONNX model, what `tessera convert` would make binary.',
  usage: 'tessera inspect MODEL [--int8 [--check]]',
  flags: {
    int8: { type: 'boolean', help: 'what `tessera convert --int8` would store as int8 and the bytes it saves' },
    check: { type: 'boolean', help: 'with --int8: per-layer relative error of the dequantised weights' },
  },
};

export async function inspectCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, inspectSpec);
  if (boolFlag(args, 'help')) return io.out(helpText(inspectSpec)), 0;
  const path = requireOnePositional(args, 'inspect', 'model file');
  if (boolFlag(args, 'check') && !boolFlag(args, 'int8')) throw new UsageError(`inspect --check: only with --int8`);
  const model = loadModel(path, 'inspect: model');
  const { graph } = model;
  const shapes = inferShapes(graph);
  const stats = modelStats(graph, shapes);

  io.out(`${path}: ${model.format === 'tessera' ? `.tessera v${model.formatVersion}` : 'ONNX'}, ${bytesText(model.fileBytes)}`);
  for (const i of graph.inputs.filter((v) => !graph.initializers.has(v.name))) io.out(`  input   ${i.name}: ${i.dtype} ${shapeText(i.shape)}`);
  for (const o of graph.outputs) {
    const s = shapes.get(o.name) ?? o;
    io.out(`  output  ${o.name}: ${s.dtype} ${shapeText(s.shape)}`);
  }
  io.out('');
  const rows = stats.rows.map((r, i) => [String(i), r.op, r.node, shapeText(r.outputShape), r.params ? thousands(r.params) : '-', r.macs ? thousands(r.macs) : '-']);
  for (const line of table(['#', 'op', 'name', 'output', 'params', 'MACs'], rows, [true, false, false, false, true, true])) io.out(line);
  io.out('');
  io.out(`total: ${graph.nodes.length} layers, ${thousands(stats.totals.params)} params, ${thousands(stats.totals.macs)} MACs (${si(stats.totals.macs)}) per image`);
  if (stats.binary.layers.length > 0) {
    io.out('');
    for (const line of formatBinarySummary(stats.binary)) io.out(line);
  }
  if (model.format === 'onnx') {
    io.out('');
    for (const line of binarizePreview(graph)) io.out(line);
  }
  const stored = storedInt8Summary(graph);
  if (stored.layers.length > 0) {
    io.out('');
    io.out(`int8 weights: ${int8Line(stored)}`);
  }
  if (boolFlag(args, 'int8')) {
    io.out('');
    for (const line of int8Preview(graph, model.format === 'onnx', boolFlag(args, 'check'))) io.out(line);
  }

  const m = graph.metadata;
  io.out('');
  io.out('metadata:');
  const entries: [string, unknown][] = [
    ['name', m.name],
    ['inputSize', m.inputSize && `[${m.inputSize.join(', ')}]`],
    ['layout', m.layout],
    ['colorOrder', m.colorOrder],
    ['pixelScale', m.pixelScale === 1 / 255 ? '1/255' : m.pixelScale],
    ['mean', m.mean && `[${m.mean.join(', ')}]`],
    ['std', m.std && `[${m.std.join(', ')}]`],
    ['labels', m.labels && `${m.labels.length}: ${m.labels.slice(0, 10).join(', ')}${m.labels.length > 10 ? ', ...' : ''}`],
  ];
  for (const [k, v] of Object.entries(m.provenance ?? {})) entries.push([`provenance.${k}`, v.length > 100 ? `${v.slice(0, 97)}...` : v]);
  const known = new Set(['name', 'labels', 'inputSize', 'layout', 'mean', 'std', 'colorOrder', 'pixelScale', 'provenance']);
  for (const [k, v] of Object.entries(m)) if (!known.has(k) && v !== undefined) entries.push([k, JSON.stringify(v)]);
  const shown = entries.filter(([, v]) => v !== undefined);
  const width = Math.max(0, ...shown.map(([k]) => k.length));
  if (shown.length === 0) io.out('  (none)');
  for (const [k, v] of shown) io.out(`  ${k.padEnd(width)}  ${String(v)}`);
  return 0;
}

/**
 * What `tessera convert` (optimize + binarize) would make of an imported ONNX graph. A graph the passes cannot
 * handle still gets its table above: the preview then says why it is missing instead of failing the command.
 */
function binarizePreview(graph: Graph): string[] {
  let converted: Graph;
  let summary: BinarySummary;
  try {
    converted = convertPipeline(graph, { optimize: true, binarize: true });
    summary = modelStats(converted, inferShapes(converted)).binary;
  } catch (e) {
    if (!isTypedError(e)) throw e;
    return [`after tessera convert (optimize + binarize): not available (${describeError(e)})`];
  }
  return [`after tessera convert (optimize + binarize): ${converted.nodes.length} layers`, ...formatBinarySummary(summary)];
}

/**
 * What `tessera convert --int8` stores as int8 (for an ONNX model: after optimize + binarize) and, with `check`, the
 * per-layer error of the dequantised weights against the f32 ones (for an int8 file those are already dequantised,
 * so the figures are those of re-quantising: about 0).
 */
function int8Preview(graph: Graph, convert: boolean, check: boolean): string[] {
  let summary: Int8Summary;
  try {
    summary = quantizeWeightsInt8(convert ? convertPipeline(graph, { optimize: true, binarize: true }) : graph).summary;
  } catch (e) {
    if (!isTypedError(e)) throw e;
    return [`tessera convert --int8: not available (${describeError(e)})`];
  }
  const lines = [`tessera convert --int8: ${int8Line(summary)}`];
  if (!check || summary.layers.length === 0) return lines;
  const rows = summary.layers.map((l) => [
    l.op,
    l.node,
    shapeText(l.shape),
    l.axis === undefined ? 'tensor' : `axis ${l.axis}`,
    l.relError.toExponential(2),
    l.maxError.toExponential(2),
    thousands(l.f32Bytes),
    thousands(l.int8Bytes),
  ]);
  lines.push('', ...table(['op', 'name', 'weight', 'scales', 'rel L2 err', 'max err', 'f32 bytes', 'int8 bytes'], rows, [false, false, false, false, true, true, true, true]));
  const worst = summary.layers.reduce((a, b) => (b.relError > a.relError ? b : a));
  lines.push(`worst layer: ${worst.node} (rel L2 ${worst.relError.toExponential(2)}); max err is max|dequantised - f32| / max|f32| per tensor`);
  return lines;
}
