/**
 * PyTorch conformance fixtures (tests/fixtures/<name>/{model.onnx,input.npy,output.npy}, written by
 * tools/make_fixtures.py): every model is run by onnxruntime-node (checks the fixture itself) and by Tessera's
 * ONNX importer + CPU reference executor, both as imported and after the full `optimize` pass pipeline; all must
 * match PyTorch's output to a relative L2 error of 1e-5.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { CpuExecutor } from '../src/backends/cpu/index.js';
import type { Graph, Tensor } from '../src/graph/ir.js';
import { optimize } from '../src/graph/passes/index.js';
import { importOnnx } from '../src/import/onnx/index.js';
import { readNpy } from '../src/io/npy.js';
import { relativeL2 as sharedRelativeL2 } from '../src/util/relative_l2.js';

const FIXTURE_ROOT = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const TOLERANCE = 1e-5;
/** Folders with their own tests and layout. */
const EXCLUDED = new Set(['onnx-import']);

interface Fixture {
  name: string;
  modelBytes: Uint8Array;
  input: Tensor;
  expected: Tensor;
}

function loadFixtures(): Fixture[] {
  const names = readdirSync(FIXTURE_ROOT, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !EXCLUDED.has(e.name))
    .map((e) => e.name)
    .filter((n) => ['model.onnx', 'input.npy', 'output.npy'].every((f) => existsSync(join(FIXTURE_ROOT, n, f))))
    .sort();
  return names.map((name) => {
    const dir = join(FIXTURE_ROOT, name);
    return {
      name,
      modelBytes: new Uint8Array(readFileSync(join(dir, 'model.onnx'))),
      input: readNpy(new Uint8Array(readFileSync(join(dir, 'input.npy'))), `${name}/input.npy`),
      expected: readNpy(new Uint8Array(readFileSync(join(dir, 'output.npy'))), `${name}/output.npy`),
    };
  });
}

/** The shared relative L2 error, but a length mismatch throws: it is a wrong output, not a distance. */
export function relativeL2(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs expected ${expected.length}`);
  return sharedRelativeL2(actual, expected);
}

const fixtures = loadFixtures();
type Column = 'ort' | 'tessera' | 'optimized';
const table = new Map<string, Partial<Record<Column, string>>>();

function record(name: string, column: Column, value: string): void {
  table.set(name, { ...table.get(name), [column]: value });
}

afterAll(() => {
  const rows = [...table.entries()].sort(([a], [b]) => a.localeCompare(b));
  const lines = rows.map(([n, r]) => `${n.padEnd(26)} ${(r.ort ?? '-').padEnd(10)} ${(r.tessera ?? '-').padEnd(10)} ${r.optimized ?? '-'}`);
  console.log(['fixture                    rel L2 vs PyTorch:  onnxruntime  tessera  tessera+optimize', ...lines].join('\n'));
});

describe('fixture discovery', () => {
  it('finds the generated fixtures', () => {
    // tools/make_fixtures.py writes 31 folders; a missing one means a stale or partial checkout.
    expect(fixtures.length).toBeGreaterThanOrEqual(31);
    for (const f of fixtures) {
      expect(f.input.dtype, f.name).toBe('f32');
      expect(f.expected.dtype, f.name).toBe('f32');
    }
  });
});

describe('fixtures agree with onnxruntime (validates the fixtures themselves)', () => {
  for (const f of fixtures) {
    it(f.name, async () => {
      const session = await ort.InferenceSession.create(f.modelBytes);
      const feed = { [session.inputNames[0]!]: new ort.Tensor('float32', f.input.data as Float32Array, [...f.input.shape]) };
      const result = await session.run(feed);
      const out = result[session.outputNames[0]!]!;
      expect([...out.dims]).toEqual([...f.expected.shape]);
      const err = relativeL2(out.data as Float32Array, f.expected.data as Float32Array);
      record(f.name, 'ort', err.toExponential(2));
      expect(err).toBeLessThanOrEqual(TOLERANCE);
    });
  }
});

/** Runs the graph on the CPU reference executor and checks it against PyTorch, recording the error. */
function checkOnCpu(f: Fixture, graph: Graph, column: Column): void {
  let out: Tensor;
  try {
    expect(graph.inputs).toHaveLength(1);
    expect(graph.outputs).toHaveLength(1);
    const result = new CpuExecutor(graph).run({ [graph.inputs[0]!.name]: f.input });
    out = result[graph.outputs[0]!.name]!;
  } catch (err) {
    record(f.name, column, `FAIL ${(err as Error).name}: ${(err as Error).message.slice(0, 90)}`);
    throw err;
  }
  expect(out.dtype).toBe('f32');
  expect([...out.shape]).toEqual([...f.expected.shape]);
  const err = relativeL2(out.data as Float32Array, f.expected.data as Float32Array);
  record(f.name, column, err.toExponential(2));
  expect(err).toBeLessThanOrEqual(TOLERANCE);
}

function importFixture(f: Fixture, column: Column): Graph {
  try {
    return importOnnx(f.modelBytes);
  } catch (err) {
    record(f.name, column, `FAIL ${(err as Error).name}: ${(err as Error).message.slice(0, 90)}`);
    throw err;
  }
}

describe('Tessera importOnnx + CpuExecutor match PyTorch', () => {
  for (const f of fixtures) {
    it(f.name, () => {
      const graph = importFixture(f, 'tessera');
      // ir.md: Dropout may stay as an inference identity, but only its output 0 exists after import.
      for (const n of graph.nodes.filter((m) => m.op === 'Dropout')) expect(n.outputs, n.name).toHaveLength(1);
      checkOnCpu(f, graph, 'tessera');
    });
  }
});

describe('Tessera importOnnx + optimize + CpuExecutor match PyTorch', () => {
  for (const f of fixtures) {
    it(f.name, () => {
      const graph = optimize(importFixture(f, 'optimized'));
      // Dropout is an identity at inference: the optimiser must remove every one (the dropout fixture has two).
      expect(graph.nodes.map((n) => n.op)).not.toContain('Dropout');
      checkOnCpu(f, graph, 'optimized');
    });
  }
});
