/**
 * Micro benchmark of the CPU reference Conv kernel: 3x3, stride 1, pad 1, batch 16.
 * Run: npx tsx bench/cpu_conv.ts
 */
import type { Node, Tensor } from '../src/graph/ir.js';
import { conv } from '../src/backends/cpu/conv.js';

function randomTensor(shape: number[], seed: number): Tensor {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 2 ** 32 - 0.5;
  }
  return { dtype: 'f32', shape, data };
}

function bench(label: string, n: number, c: number, oc: number, size: number): void {
  const node: Node = { name: label, op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: { pads: [1, 1, 1, 1] } };
  const x = randomTensor([n, c, size, size], 1);
  const w = randomTensor([oc, c, 3, 3], 2);
  const b = randomTensor([oc], 3);
  const macs = n * oc * size * size * c * 9;
  conv(node, [x, w, b]); // warm-up (JIT, weight packing)
  conv(node, [x, w, b]);
  let iters = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 1500) {
    conv(node, [x, w, b]);
    iters++;
  }
  const seconds = (performance.now() - t0) / 1000;
  const gmacs = (macs * iters) / seconds / 1e9;
  console.log(`${label.padEnd(28)} ${(seconds / iters * 1000).toFixed(2).padStart(8)} ms/call  ${gmacs.toFixed(2)} GMAC/s`);
}

bench('3x3 64->64 8x8 batch 16', 16, 64, 64, 8);
bench('3x3 16->16 32x32 batch 16', 16, 16, 16, 32);
bench('3x3 32->32 16x16 batch 16', 16, 32, 32, 16);
