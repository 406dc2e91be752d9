/**
 * Seed models of the fuzzer: real ONNX files (MNIST, ResNet-20, the op fixtures, the importer's edge-case fixtures)
 * and their `.tessera` conversions (f32, fp16 and int8). The CI profile keeps the small ones so 5,000 cases fit in a minute.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeTessera } from '../../src/format/index.js';
import { importOnnx } from '../../src/import/onnx/index.js';
import { convertPipeline } from '../../src/cli/pipeline.js';
import { quantizeWeightsInt8 } from '../../src/graph/passes/quantize_int8.js';

export type FuzzProfile = 'ci' | 'full';

export interface FuzzSeed {
  name: string;
  format: 'onnx' | 'tessera';
  bytes: Uint8Array;
}

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MNIST = resolve(REPO_ROOT, 'tests/fixtures/data/pretrained/onnx-mnist-cntk/mnist-8.onnx');

/** ONNX seed files for a profile: `ci` keeps files up to 30 KB (MNIST-8 included), `full` takes every one. */
export function onnxSeedFiles(profile: FuzzProfile): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.onnx')) files.push(p);
    }
  };
  walk(join(REPO_ROOT, 'tests/fixtures'));
  if (existsSync(MNIST)) files.push(MNIST);
  const maxBytes = profile === 'ci' ? 30_000 : Infinity;
  return files.filter((f) => statSync(f).size <= maxBytes).sort();
}

export function loadSeeds(profile: FuzzProfile): FuzzSeed[] {
  const seeds: FuzzSeed[] = [];
  for (const file of onnxSeedFiles(profile)) {
    const name = relative(REPO_ROOT, file);
    const bytes = new Uint8Array(readFileSync(file));
    seeds.push({ name, format: 'onnx', bytes });
    let graph;
    try {
      graph = importOnnx(bytes);
    } catch {
      continue; // fixtures of import errors (unsupported ops, external data) are ONNX-only seeds
    }
    seeds.push({ name: `${name}.tessera`, format: 'tessera', bytes: writeTessera(graph) });
    seeds.push({ name: `${name}.fp16.tessera`, format: 'tessera', bytes: writeTessera(graph, { fp16: true }) });
    // int8 weights (format version 2) where the model has any weight convert --int8 would quantise.
    let int8: ReturnType<typeof quantizeWeightsInt8> | undefined;
    try {
      int8 = quantizeWeightsInt8(convertPipeline(graph, { optimize: true, binarize: true }));
    } catch {
      int8 = undefined; // graphs the passes refuse stay without an int8 seed
    }
    if (int8?.summary.layers.length) seeds.push({ name: `${name}.int8.tessera`, format: 'tessera', bytes: writeTessera(int8.graph) });
  }
  return seeds;
}
