/**
 * Case generator of the fuzzer: case `i` of run `seed` is a deterministic function of (seed, i) and the seed models,
 * so every failure is replayed with `npm run fuzz -- --seed S --case i`.
 *
 * Mix: byte-level damage (bit flips, byte runs, truncation, inserted/deleted spans, huge varints / length fields),
 * structural ONNX mutations (decoded with the importer's protobuf schema, re-encoded), `.tessera` header / payload
 * mutations re-signed so they reach the deeper checks, prelude field mutations, and a few unmodified seeds.
 */
import { deeplyNestedOnnx, mutateBytes } from './mutate_bytes.js';
import { mutateOnnxStructure } from './mutate_onnx.js';
import { mutateTesseraPrelude, mutateTesseraStructure } from './mutate_tessera.js';
import { Rng } from './rng.js';
import type { FuzzSeed } from './seeds.js';

export interface FuzzCase {
  index: number;
  seed: string;
  format: 'onnx' | 'tessera';
  bytes: Uint8Array;
  /** Human-readable list of the mutations applied. */
  what: string;
}

type Mutator = (rng: Rng, bytes: Uint8Array) => { bytes: Uint8Array; what: string };

const same: Mutator = (_rng, bytes) => ({ bytes, what: 'unmodified' });
const then =
  (a: Mutator, b: Mutator): Mutator =>
  (rng, bytes) => {
    const x = a(rng, bytes);
    const y = b(rng, x.bytes);
    return { bytes: y.bytes, what: `${x.what} then ${y.what}` };
  };

const ONNX_MIX: readonly (readonly [number, Mutator])[] = [
  [35, mutateBytes],
  [55, mutateOnnxStructure],
  [8, then(mutateOnnxStructure, mutateBytes)],
  [2, same],
  [0.5, (rng) => {
    const repeats = rng.pick([10, 1000, 50_000]);
    return { bytes: deeplyNestedOnnx(repeats), what: `subgraphs nested ${repeats} deep` };
  }],
];

const TESSERA_MIX: readonly (readonly [number, Mutator])[] = [
  [12, mutateBytes],
  [5, mutateTesseraPrelude],
  [73, mutateTesseraStructure],
  [8, then(mutateTesseraStructure, mutateBytes)],
  [2, same],
];

export function generateCase(runSeed: number, index: number, seeds: readonly FuzzSeed[]): FuzzCase {
  const rng = Rng.forCase(runSeed, index);
  const seed = rng.pick(seeds);
  const mutator = rng.weighted(seed.format === 'onnx' ? ONNX_MIX : TESSERA_MIX);
  const { bytes, what } = mutator(rng, seed.bytes);
  return { index, seed: seed.name, format: seed.format, bytes, what };
}
