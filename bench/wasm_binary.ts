/**
 * Binary layers vs the same layers in float on the WASM backend (issue 14's "binary speed"):
 *
 *   /usr/bin/python3 tools/export_xnor.py bin_vgg13 -o DIR/bin_vgg13.onnx --verify   # XNOR VGG-13 (pretrained)
 *   npx tsx bench/wasm_binary.ts DIR/bin_vgg13.onnx [--reps 15] [--threads 1]
 *
 * Two WASM sessions of the same ONNX file in Node: the default one (the binarize pass turns each sign → conv into a
 * binary node: XNOR-popcount dots with the sign, BatchNorm and pooling fused) and one with `binarize: false` (the same
 * convs in float). After three warm-up runs each, the two are profiled --reps times, alternating
 * (`session.profile()`: one row per kernel call, wall time); a binary node's median is set against the median of the float kernel calls of the conv it
 * replaces (matched by node name; the float side leaves out the sign, BatchNorm and MaxPool that the binary node also
 * does, so the ratio is conservative). Prints a markdown table: per layer and the binary layers together.
 */
import { readFileSync } from 'node:fs';
import { Session } from '../src/runtime/session.js';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
if (!file) {
  console.error('usage: npx tsx bench/wasm_binary.ts MODEL.onnx [--reps N] [--threads N]');
  process.exit(2);
}
const reps = opt('reps', 15);
const threads = opt('threads', 1);
const bytes = new Uint8Array(readFileSync(file));
const BINARY_OPS = new Set(['BinaryConv', 'BinaryConvBits', 'BinaryGemm', 'BinaryWeightConv']);

interface Profiled {
  session: Session;
  feeds: Parameters<Session['run']>[0];
  samples: Map<string, number[]>;
  op: Map<string, string>;
}

async function open(binarize: boolean): Promise<Profiled> {
  const session = await Session.create(bytes, { backend: 'wasm', numThreads: threads, binarize, adaptiveThreads: false });
  const shape = session.inputs[0]!.shape.map((d) => (typeof d === 'number' ? d : 1));
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => Math.sin(i * 0.37));
  const feeds = { [session.inputs[0]!.name]: { dtype: 'f32' as const, shape, data } };
  for (let i = 0; i < 3; i++) await session.run(feeds);
  return { session, feeds, samples: new Map(), op: new Map() };
}

/** One profiled run: each node's kernel calls summed. */
async function sample(p: Profiled): Promise<void> {
  const perNode = new Map<string, number>();
  for (const row of (await p.session.profile(p.feeds)).rows) {
    perNode.set(row.node, (perNode.get(row.node) ?? 0) + (row.gpuMs ?? 0));
    p.op.set(row.node, row.op);
  }
  for (const [n, ms] of perNode) p.samples.set(n, [...(p.samples.get(n) ?? []), ms]);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const binSide = await open(true);
const fltSide = await open(false);
// side by side: the two sessions' profiled runs alternate, so a change of machine load touches both
for (let r = 0; r < reps; r++) {
  await sample(binSide);
  await sample(fltSide);
}
const info = binSide.session.backendInfo;
const bin = { op: binSide.op, ms: new Map([...binSide.samples].map(([n, xs]) => [n, median(xs)])), info: `${info.threads} thread(s), ${info.relaxedSimd ? 'relaxed SIMD' : 'SIMD128'}` };
const flt = { ms: new Map([...fltSide.samples].map(([n, xs]) => [n, median(xs)])) };
binSide.session.release();
fltSide.session.release();
const lines = ['| node | binary op | float ms | binary ms | speed-up |', '|---|---|---:|---:|---:|'];
let sumF = 0;
let sumB = 0;
for (const [node, op] of bin.op) {
  if (!BINARY_OPS.has(op)) continue;
  const f = flt.ms.get(node);
  const b = bin.ms.get(node)!;
  if (f === undefined) {
    lines.push(`| ${node} | ${op} | (no float node of that name) | ${b.toFixed(3)} | - |`);
    continue;
  }
  sumF += f;
  sumB += b;
  lines.push(`| ${node} | ${op} | ${f.toFixed(3)} | ${b.toFixed(3)} | ${(f / b).toFixed(1)}x |`);
}
lines.push(`| **binary layers together** | | ${sumF.toFixed(2)} | ${sumB.toFixed(2)} | **${(sumF / sumB).toFixed(1)}x** |`);
console.log(`${file}: WASM ${bin.info}, median of ${reps} profiled runs each (Node ${process.version})\n`);
console.log(lines.join('\n'));
