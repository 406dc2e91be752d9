/**
 * Seeded LayerNormalization / ChannelLayerNorm cases for the WebGPU kernel tests (layer_norm.test.ts,
 * reduce_variants.test.ts): 1-3 normalised dims, Scale / B of one element, no B, large common offsets (the two-pass
 * variance matters), two epsilons. The line length comes from the caller.
 */
import type { NodeCase } from './browser_test_entry.js';
import { randInt } from './rng.js';

type Rng = () => number;

export function layerNormCase(r: Rng, i: number, rowLength: (r: Rng) => number, seed: number): NodeCase {
  const rank = randInt(r, 1, 4);
  const shape = Array.from({ length: rank }, () => randInt(r, 1, 6));
  shape[rank - 1] = rowLength(r);
  const axis = -randInt(r, 1, Math.min(rank, 3));
  const normalized = shape.slice(shape.length + axis);
  const paramShape = i % 6 === 5 ? [1] : i % 6 === 4 ? [1, ...normalized] : normalized;
  const withBias = i % 5 !== 3;
  const offset = i % 4 === 2 ? 50 : 0;
  return {
    label: `LayerNorm#${i} [${shape}] axis ${axis} params [${paramShape}]${withBias ? '' : ' no B'}${offset ? ' +50' : ''}`,
    op: 'LayerNormalization',
    attrs: { axis, epsilon: i % 3 ? 1e-5 : 1e-3 },
    inputs: [
      { shape, lo: offset - 2, hi: offset + 2 },
      { shape: paramShape, kind: 'const', lo: 0.5, hi: 1.5 },
      withBias ? { shape: paramShape, kind: 'const' } : { shape: [], absent: true },
    ],
    seed,
  };
}

/** NCL / NCHW / NCDHW with spatial dims up to `maxSpatial`. */
export function channelLayerNormCase(r: Rng, i: number, channels: (r: Rng) => number, maxSpatial: number, seed: number): NodeCase {
  const spatial = Array.from({ length: randInt(r, 1, 3) }, () => randInt(r, 1, maxSpatial));
  const c = channels(r);
  const shape = [randInt(r, 1, 2), c, ...spatial];
  const paramShape = i % 5 === 4 ? [1] : [c];
  const withBias = i % 4 !== 3;
  const offset = i % 3 === 2 ? 30 : 0;
  return {
    label: `ChannelLayerNorm#${i} [${shape}] params [${paramShape}]${withBias ? '' : ' no B'}${offset ? ' +30' : ''}`,
    op: 'ChannelLayerNorm',
    attrs: { epsilon: i % 2 ? 1e-6 : 1e-5 },
    inputs: [
      { shape, lo: offset - 2, hi: offset + 2 },
      { shape: paramShape, kind: 'const', lo: 0.5, hi: 1.5 },
      withBias ? { shape: paramShape, kind: 'const' } : { shape: [], absent: true },
    ],
    seed,
  };
}
