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

export const inspectSpec: CommandSpec = {
  name: 'inspect',
  brief: 'per-layer shapes, parameter and MAC counts, metadata',
  summary:
    'Show the layers of a .tessera or .onnx model with output shapes, parameter and MAC counts, and its metadata. Binary (XNOR-Net / BWN) ' +
    'layers are listed with the weight bytes they save; for an ONNX model, what `tessera convert` would make binary.',
  usage: 'tessera inspect MODEL',
  flags: {},
};

export async function inspectCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, inspectSpec);
  if (boolFlag(args, 'help')) return io.out(helpText(inspectSpec)), 0;
  const path = requireOnePositional(args, 'inspect', 'model file');
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
