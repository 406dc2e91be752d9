/** Shared helpers of the ONNX importer tests: fixture loading and numeric comparison. */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tensorToNumbers, type Tensor } from '../../../src/graph/ir.js';
import { onnxModelType } from '../../../src/import/onnx/schema.js';
import { readNpy } from '../../../src/io/npy.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'onnx-import');
export const MNIST_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'data', 'pretrained', 'onnx-mnist-cntk');

export function readBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}

export interface ImportFixture {
  name: string;
  model: Uint8Array;
  inputs: Record<string, Tensor>;
  outputs: Record<string, Tensor>;
}

/** `<case>.onnx` with its `<case>.in.<input>.npy` and `<case>.out.<output>.npy` (written by tools/make_import_fixtures.py). */
export function loadFixture(name: string): ImportFixture {
  const inputs: Record<string, Tensor> = {};
  const outputs: Record<string, Tensor> = {};
  for (const file of readdirSync(FIXTURES)) {
    const m = /^(.*)\.(in|out)\.(.+)\.npy$/.exec(file);
    if (!m || m[1] !== name) continue;
    const t = readNpy(readBytes(join(FIXTURES, file)), file);
    (m[2] === 'in' ? inputs : outputs)[m[3]!] = t;
  }
  return { name, model: readBytes(join(FIXTURES, `${name}.onnx`)), inputs, outputs };
}

/** Cases that have expected outputs (numeric cases), by scanning the fixture folder. */
export function numericFixtureNames(): string[] {
  const names = new Set<string>();
  for (const file of readdirSync(FIXTURES)) {
    const m = /^(.*)\.out\..+\.npy$/.exec(file);
    if (m) names.add(m[1]!);
  }
  return [...names].sort();
}

export function maxAbsDiff(a: Tensor, b: Tensor): number {
  const x = tensorToNumbers(a);
  const y = tensorToNumbers(b);
  if (x.length !== y.length) return Infinity;
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

// ---------------------------------------------------------------------------------------------------------------
// Building small ModelProtos in the tests themselves, through the importer's own schema (snake_case field names).

export const FLOAT = 1;
export const INT64 = 7;

export function valueInfo(name: string, dims: (number | string)[], elemType = FLOAT): object {
  return {
    name,
    type: { tensor_type: { elem_type: elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } },
  };
}

export function node(op: string, inputs: string[], outputs: string[], name = '', attribute: object[] = []): object {
  return { op_type: op, input: inputs, output: outputs, name, attribute };
}

export function intsAttr(name: string, ints: number[]): object {
  return { name, type: 7, ints };
}

export function int64Init(name: string, values: number[], dims = [values.length]): object {
  return { name, data_type: INT64, dims, int64_data: values };
}

export function encodeModel(parts: { nodes: object[]; inputs: object[]; outputs: object[]; initializers?: object[]; opset?: number; domain?: string }): Uint8Array {
  const type = onnxModelType();
  const msg = type.fromObject({
    ir_version: 8,
    producer_name: 'tessera-tests',
    opset_import: [{ domain: parts.domain ?? '', version: parts.opset ?? 13 }],
    graph: { name: 'g', node: parts.nodes, input: parts.inputs, output: parts.outputs, initializer: parts.initializers ?? [] },
  });
  return type.encode(msg).finish();
}
