/**
 * Structural mutations of ONNX models: decode the ModelProto with the importer's own protobuf schema into a plain
 * object, break the graph (deep chains, cycles, hostile dims and attributes, NaN weights, wrong dtypes, dangling
 * inputs, hostile constant-producing nodes...), and re-encode it, so the cases get past the protobuf layer and
 * exercise the importer, the validator and the executor.
 */
import { onnxModelType } from '../../src/import/onnx/schema.js';
import { SUPPORTED_OPS } from '../../src/import/onnx/normalize.js';
import { applyStep, chainDepth, HOSTILE_FLOATS, HOSTILE_INTS, type Rng } from './rng.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = any;

const FLOAT = 1;
const INT64 = 7;
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;
const DTYPES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 99, -1];
const OPS = [...SUPPORTED_OPS, 'Tile', 'Resize', 'Loop', 'If', 'LSTM', 'NonMaxSuppression', '', 'conv', '__proto__'];

export function decodeOnnxObject(bytes: Uint8Array): Obj {
  const type = onnxModelType();
  return type.toObject(type.decode(bytes), { longs: Number, arrays: true });
}

export function encodeOnnxObject(model: Obj): Uint8Array {
  return onnxModelType().encode(model).finish();
}

// ---------------------------------------------------------------------------------------------------------------
// helpers

function graphOf(m: Obj): Obj {
  m.graph ??= {};
  for (const k of ['node', 'initializer', 'input', 'output', 'value_info']) m.graph[k] ??= [];
  return m.graph;
}

function initNames(g: Obj): Set<string> {
  return new Set(g.initializer.map((t: Obj) => t.name));
}

/** Name of a runtime graph input (not an initializer), or of any value when there is none. */
function someInput(rng: Rng, g: Obj): string {
  const inits = initNames(g);
  const real = g.input.map((i: Obj) => i.name).filter((n: string) => !inits.has(n));
  if (real.length) return rng.pick(real);
  const outs = g.node.flatMap((n: Obj) => n.output ?? []);
  return outs.length ? rng.pick(outs) : 'x';
}

function i64Init(name: string, values: number[], dims = [values.length]): Obj {
  return { name, data_type: INT64, dims, int64_data: values };
}

function f32Init(name: string, values: number[], dims = [values.length]): Obj {
  return { name, data_type: FLOAT, dims, float_data: values };
}

function floatOutput(name: string): Obj {
  return { name, type: { tensor_type: { elem_type: FLOAT } } };
}

function intAttr(name: string, i: number): Obj {
  return { name, type: ATTR.INT, i };
}

function intsAttr(name: string, ints: number[]): Obj {
  return { name, type: ATTR.INTS, ints };
}

function hostileInt(rng: Rng): number {
  return rng.pick(HOSTILE_INTS);
}

function opset(m: Obj): number {
  const e = (m.opset_import ?? []).find((o: Obj) => !o.domain || o.domain === 'ai.onnx');
  return e ? Number(e.version) : 1;
}

// ---------------------------------------------------------------------------------------------------------------
// mutations: each edits the model object in place and returns a short description

type OnnxMutation = (rng: Rng, m: Obj) => string;

/** A chain of `depth` unary nodes appended after a graph output: deep graphs must not overflow any stack. */
const deepChain: OnnxMutation = (rng, m) => {
  const g = graphOf(m);
  const depth = chainDepth(rng);
  const op = rng.pick(['Relu', 'Identity', 'Neg', 'Abs', 'Sigmoid']);
  const start = g.output.length ? g.output[0].name : someInput(rng, g);
  let prev = start;
  for (let k = 0; k < depth; k++) {
    const out = `chain_${k}`;
    g.node.push({ op_type: op, name: `chain_node_${k}`, input: [prev], output: [out] });
    prev = out;
  }
  g.output = [floatOutput(prev)];
  return `chain ${op} x${depth}`;
};

/** Make a node read an output of itself or of a later node. */
const cycle: OnnxMutation = (rng, m) => {
  const g = graphOf(m);
  if (!g.node.length) return 'cycle (no nodes)';
  const i = rng.int(g.node.length);
  const j = rng.range(i, g.node.length - 1);
  const n = g.node[i];
  const src = g.node[j].output?.[0] ?? 'missing';
  n.input = [...(n.input ?? [])];
  n.input[n.input.length ? rng.int(n.input.length) : 0] = src;
  return `cycle node ${i} <- node ${j}`;
};

const reverseNodes: OnnxMutation = (_rng, m) => {
  const g = graphOf(m);
  g.node = [...g.node].reverse();
  return 'reverse node order';
};

const shuffleNodes: OnnxMutation = (rng, m) => {
  const g = graphOf(m);
  const a = [...g.node];
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  g.node = a;
  return 'shuffle node order';
};

/** Initializer dims set to zero / negative / huge, with or without matching data. */
const initializerDims: OnnxMutation = (rng, m) => {
  const g = graphOf(m);
  if (!g.initializer.length) return 'init dims (none)';
  const t = rng.pick(g.initializer as Obj[]);
  const dims: number[] = [...(t.dims ?? [])];
  const what = rng.int(4);
  if (what === 0 || !dims.length) dims.push(hostileInt(rng));
  else if (what === 1) dims[rng.int(dims.length)] = hostileInt(rng);
  else if (what === 2) dims.splice(0, dims.length, ...Array.from({ length: rng.range(9, 70) }, () => rng.pick([1, 1, 1, 2, 0])));
  else dims[rng.int(dims.length)] = 0;
  t.dims = dims;
  if (rng.chance(0.3)) {
    delete t.raw_data;
    t.float_data = [];
  }
  return `initializer '${t.name}' dims [${dims.slice(0, 8).join(',')}${dims.length > 8 ? ',...' : ''}]`;
};

/** Graph input / output shapes: hostile dim values, symbolic dims, no shape, huge rank. */
const valueInfoDims: OnnxMutation = (rng, m) => {
  const g = graphOf(m);
  const list = rng.chance(0.7) ? g.input : g.output;
  if (!list.length) return 'value dims (none)';
  const vi = rng.pick(list as Obj[]);
  vi.type ??= { tensor_type: { elem_type: FLOAT } };
  vi.type.tensor_type ??= { elem_type: FLOAT };
  const tt = vi.type.tensor_type;
  const what = rng.int(5);
  if (what === 0) delete tt.shape;
  else if (what === 1) tt.shape = { dim: Array.from({ length: rng.range(7, 70) }, () => ({ dim_value: rng.pick([1, 2, 3]) })) };
  else {
    const dims: Obj[] = [...(tt.shape?.dim ?? [{ dim_value: 1 }])];
    const k = rng.int(dims.length);
    dims[k] = what === 2 ? { dim_param: rng.pick(['N', '', 'batch', '${x}']) } : { dim_value: hostileInt(rng) };
    tt.shape = { dim: dims };
  }
  return `value '${vi.name}' shape ${JSON.stringify(tt.shape ?? null)?.slice(0, 80)}`;
};

/** NaN / Inf / huge values in float weights (raw_data or float_data). */
const nanWeights: OnnxMutation = (rng, m) => {
  const g = graphOf(m);
  const floats = (g.initializer as Obj[]).filter((t) => t.data_type === FLOAT);
  if (!floats.length) return 'nan weights (none)';
  const t = rng.pick(floats);
  const fill = () => rng.pick(HOSTILE_FLOATS);
  const all = rng.chance(0.2);
  if (t.raw_data && t.raw_data.length >= 4) {
    const raw = new Uint8Array(t.raw_data);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const n = raw.length >> 2;
    for (let k = 0; k < (all ? n : rng.range(1, 16)); k++) view.setFloat32(4 * (all ? k : rng.int(n)), fill(), true);
    t.raw_data = raw;
  } else if (t.float_data?.length) {
    t.float_data = t.float_data.map((v: number) => (all || rng.chance(0.1) ? fill() : v));
  }
  return `nan/inf weights in '${t.name}'${all ? ' (all)' : ''}`;
};

const ATTR_NAMES = ['kernel_shape', 'strides', 'pads', 'dilations', 'group', 'axis', 'axes', 'perm', 'split', 'to', 'shape',
  'starts', 'ends', 'keepdims', 'transA', 'transB', 'alpha', 'beta', 'epsilon', 'auto_pad', 'mode', 'ceil_mode',
  'count_include_pad', 'allowzero', 'min', 'max', 'value', 'broadcast', 'num_outputs', 'spatial', 'storage_order'];

function hostileAttribute(rng: Rng, name: string): Obj {
  switch (rng.int(9)) {
    case 0:
      return intAttr(name, hostileInt(rng));
    case 1:
      return intsAttr(name, Array.from({ length: rng.range(0, 6) }, () => hostileInt(rng)));
    case 2:
      return intsAttr(name, rng.pick([[1e9, 1e9], [0, 0], [-1, -1, -1, -1], [2 ** 31, 1], [1, 1, 1], []]));
    case 3:
      return { name, type: ATTR.FLOAT, f: rng.pick(HOSTILE_FLOATS) };
    case 4:
      return { name, type: ATTR.FLOATS, floats: [rng.pick(HOSTILE_FLOATS), rng.pick(HOSTILE_FLOATS)] };
    case 5:
      return { name, type: ATTR.STRING, s: new TextEncoder().encode(rng.pick(['SAME_UPPER', 'VALID', 'reflect', 'wrap', '', 'NOTSET', '}; fn x() {', 'FLOAT', 'STRING'])) };
    case 6:
      return { name, type: rng.pick([ATTR.GRAPH, 11, 13, 99, 0]) };
    case 7:
      return { name, type: ATTR.TENSOR, t: rng.chance(0.5) ? i64Init('', [hostileInt(rng)]) : { dims: [hostileInt(rng)], data_type: rng.pick(DTYPES) } };
    default:
      return { name, type: ATTR.STRINGS, strings: [new Uint8Array([0xff, 0xfe]), new TextEncoder().encode('a')] };
  }
}

/** Hostile attribute values: kernel 1e9, group 0, strides 0, negative pads, wrong kinds... */
const hostileAttr: OnnxMutation = (rng, m) => {
  const g = graphOf(m);
  if (!g.node.length) return 'attr (no nodes)';
  const n = rng.pick(g.node as Obj[]);
  const existing: Obj[] = n.attribute ?? [];
  const name = existing.length && rng.chance(0.6) ? rng.pick(existing).name : rng.pick(ATTR_NAMES);
  const attr = hostileAttribute(rng, name);
  n.attribute = [...existing.filter((a) => a.name !== name), attr];
  return `attr ${n.op_type}.${name} = ${JSON.stringify(attr, (_k, v) => (v instanceof Uint8Array ? [...v] : v))?.slice(0, 100)}`;
};

const hugeAttrList: OnnxMutation = (rng, m) => {
  const g = graphOf(m);
  if (!g.node.length) return 'huge attr list (no nodes)';
  const n = rng.pick(g.node as Obj[]);
  const name = rng.pick(['axes', 'pads', 'perm', 'kernel_shape', 'split', 'shape', 'starts']);
  const len = rng.pick([4097, 20_000, 200_000]);
  n.attribute = [...(n.attribute ?? []).filter((a: Obj) => a.name !== name), intsAttr(name, Array.from({ length: len }, (_, i) => i % 3))];
  return `attr ${n.op_type}.${name} list of ${len}`;
};

const dangling: OnnxMutation = (rng, m) => {
  const g = graphOf(m);
  if (rng.chance(0.2) && g.output.length) {
    g.output[0].name = 'nowhere';
    return 'graph output renamed to nowhere';
  }
  const withInputs = (g.node as Obj[]).filter((n) => n.input?.length);
  if (!withInputs.length) return 'dangling (no inputs)';
  const n = rng.pick(withInputs);
  n.input = [...n.input];
  n.input[rng.int(n.input.length)] = rng.pick(['missing_value', '', ' ', 'missing\u0000x']);
  return `dangling input in ${n.op_type} '${n.name}'`;
};

const wrongDtype: OnnxMutation = (rng, m) => {
  const g = graphOf(m);
  const dtype = rng.pick(DTYPES);
  if (rng.chance(0.6) && g.initializer.length) {
    const t = rng.pick(g.initializer as Obj[]);
    t.data_type = dtype;
    return `initializer '${t.name}' data_type ${dtype}`;
  }
  const list = [...g.input, ...g.output];
  if (!list.length) return 'dtype (none)';
  const vi = rng.pick(list as Obj[]);
  vi.type = { ...(vi.type ?? {}), tensor_type: { ...(vi.type?.tensor_type ?? {}), elem_type: dtype } };
  return `value '${vi.name}' elem_type ${dtype}`;
};

const opSwap: OnnxMutation = (rng, m) => {
  const g = graphOf(m);
  if (!g.node.length) return 'op swap (no nodes)';
  const n = rng.pick(g.node as Obj[]);
  const before = n.op_type;
  if (rng.chance(0.15)) n.domain = rng.pick(['com.microsoft', 'ai.onnx.ml', 'x']);
  else n.op_type = rng.pick(OPS);
  return `op ${before} -> ${n.domain ? `${n.domain}.` : ''}${n.op_type}`;
};

const removeSomething: OnnxMutation = (rng, m) => {
  const g = graphOf(m);
  const key = rng.pick(['node', 'initializer', 'input', 'output', 'attribute', 'opset_import', 'graph']);
  if (key === 'graph') {
    delete m.graph;
    return 'remove graph';
  }
  if (key === 'opset_import') {
    m.opset_import = [];
    return 'remove opset_import';
  }
  if (key === 'attribute') {
    const n = g.node.length ? rng.pick(g.node as Obj[]) : undefined;
    if (!n?.attribute?.length) return 'remove attribute (none)';
    const k = rng.int(n.attribute.length);
    const name = n.attribute[k].name;
    n.attribute = n.attribute.filter((_: Obj, i: number) => i !== k);
    return `remove attribute ${n.op_type}.${name}`;
  }
  const list: Obj[] = g[key];
  if (!list.length) return `remove ${key} (none)`;
  const k = rng.int(list.length);
  g[key] = list.filter((_, i) => i !== k);
  return `remove ${key}[${k}]`;
};

const duplicateNode: OnnxMutation = (rng, m) => {
  const g = graphOf(m);
  if (!g.node.length) return 'duplicate node (none)';
  const k = rng.int(g.node.length);
  g.node = [...g.node.slice(0, k + 1), { ...g.node[k] }, ...g.node.slice(k + 1)];
  return `duplicate node ${k}`;
};

const changeOpset: OnnxMutation = (rng, m) => {
  const v = rng.pick([0, 1, 5, 6, 7, 9, 10, 11, 12, 13, 17, 18, 19, 21, 99, -1, 2 ** 31]);
  m.opset_import = [{ domain: '', version: v }];
  if (rng.chance(0.3)) m.ir_version = rng.pick([0, 1, 3, 99, -5]);
  return `opset ${v}`;
};

const externalData: OnnxMutation = (rng, m) => {
  const g = graphOf(m);
  if (!g.initializer.length) return 'external (none)';
  const t = rng.pick(g.initializer as Obj[]);
  t.data_location = 1;
  if (rng.chance(0.5)) t.external_data = [{ key: 'location', value: '../../etc/passwd' }];
  return `external data '${t.name}'`;
};

const swapRawData: OnnxMutation = (rng, m) => {
  const g = graphOf(m);
  if (g.initializer.length < 2) return 'swap raw (too few)';
  const a = rng.pick(g.initializer as Obj[]);
  const b = rng.pick(g.initializer as Obj[]);
  [a.raw_data, b.raw_data] = [b.raw_data, a.raw_data];
  [a.float_data, b.float_data] = [b.float_data, a.float_data];
  return `swap data '${a.name}' <-> '${b.name}'`;
};

/**
 * Nodes whose output size or cost comes from constants: the importer folds them at load time and the executor
 * allocates their outputs, so both must check the size first.
 */
const hostileConstantNode: OnnxMutation = (rng, m) => {
  const g = graphOf(m);
  const x = someInput(rng, g);
  const op13 = opset(m) >= 13;
  const big = () => rng.pick([1e5, 1e9, 2 ** 31, 2 ** 32, 65_536, 3, 0, -1, -7]);
  const out = 'hostile_out';
  const kind = rng.int(10);
  let desc = '';
  const add = (node: Obj, ...inits: Obj[]) => {
    g.node.push({ name: 'hostile', ...node, output: [out] });
    g.initializer.push(...inits);
    desc = `${node.op_type} ${JSON.stringify(inits.map((t) => t.int64_data ?? t.float_data ?? t.dims)).slice(0, 80)}`;
  };
  switch (kind) {
    case 0:
      add({ op_type: 'ConstantOfShape', input: ['h_shape'] }, i64Init('h_shape', [big(), big()]));
      break;
    case 1:
      add({ op_type: 'Range', input: ['h_a', 'h_b', 'h_c'] }, f32Init('h_a', [0], []), f32Init('h_b', [rng.pick([1e12, 1e7, NaN, Infinity, 10])], []), f32Init('h_c', [rng.pick([1, 0, -0, 1e-30, NaN])], []));
      break;
    case 2:
      add({ op_type: 'Expand', input: [x, 'h_shape'] }, i64Init('h_shape', Array.from({ length: rng.range(1, 5) }, big)));
      break;
    case 3:
      add(
        { op_type: 'Pad', input: [x, 'h_pads'], attribute: [{ name: 'mode', type: ATTR.STRING, s: new TextEncoder().encode(rng.pick(['constant', 'reflect', 'edge'])) }] },
        i64Init('h_pads', [0, 0, big(), big(), 0, 0, big(), big()]),
      );
      break;
    case 4:
      add({ op_type: 'Reshape', input: [x, 'h_shape'] }, i64Init('h_shape', Array.from({ length: rng.range(1, 40) }, () => rng.pick([-1, 0, 1, 2, 1e9]))));
      break;
    case 5:
      add({ op_type: 'Unsqueeze', input: op13 ? [x, 'h_axes'] : [x], attribute: op13 ? [] : [intsAttr('axes', [0, 40])] }, i64Init('h_axes', Array.from({ length: rng.range(1, 40) }, (_, i) => i)));
      break;
    case 6:
      add({ op_type: 'Gather', input: ['h_data', 'h_idx'], attribute: [intAttr('axis', rng.pick([0, 1, -1, 5]))] }, f32Init('h_data', [1, 2, 3, 4], [2, 2]), i64Init('h_idx', [big()]));
      break;
    case 7:
      add({ op_type: 'Tile', input: [x, 'h_reps'] }, i64Init('h_reps', [big(), big()]));
      break;
    case 8: {
      // A fully constant convolution: folded at import, so its cost must be bounded before it runs.
      const c = rng.pick([1, 16, 64]);
      const s = rng.pick([8, 64, 256]);
      const k = rng.pick([1, 3, 31]);
      add(
        { op_type: 'Conv', input: ['h_x', 'h_w'], attribute: [intsAttr('pads', [k >> 1, k >> 1, k >> 1, k >> 1])] },
        { name: 'h_x', data_type: FLOAT, dims: [1, c, s, s], raw_data: new Uint8Array(4 * c * s * s) },
        { name: 'h_w', data_type: FLOAT, dims: [c, c, k, k], raw_data: new Uint8Array(4 * c * c * k * k) },
      );
      break;
    }
    default:
      add({ op_type: 'Slice', input: [x, 'h_s', 'h_e', 'h_a', 'h_st'] }, i64Init('h_s', [0]), i64Init('h_e', [big()]), i64Init('h_a', [rng.pick([0, 1, 9, -9])]), i64Init('h_st', [rng.pick([0, 1, -1, 1e9])]));
  }
  g.output = [floatOutput(out)];
  return `hostile node ${desc}`;
};

const renameClash: OnnxMutation = (rng, m) => {
  const g = graphOf(m);
  if (!g.node.length) return 'rename (none)';
  const name = rng.pick(['', 'x', '__proto__', 'constructor', 'a'.repeat(rng.pick([10, 100_000]))]);
  const all = rng.chance(0.5);
  for (const n of g.node as Obj[]) if (all || rng.chance(0.3)) n.name = name;
  return `node names -> '${name.slice(0, 20)}'${all ? ' (all)' : ''}`;
};

export const ONNX_MUTATIONS: readonly (readonly [number, OnnxMutation])[] = [
  [2, deepChain],
  [3, cycle],
  [1, reverseNodes],
  [1, shuffleNodes],
  [4, initializerDims],
  [4, valueInfoDims],
  [3, nanWeights],
  [8, hostileAttr],
  [1, hugeAttrList],
  [3, dangling],
  [3, wrongDtype],
  [4, opSwap],
  [3, removeSomething],
  [1, duplicateNode],
  [2, changeOpset],
  [1, externalData],
  [1, swapRawData],
  [5, hostileConstantNode],
  [1, renameClash],
];

/** 1-3 structural mutations of a decoded model, re-encoded. */
export function mutateOnnxStructure(rng: Rng, bytes: Uint8Array): { bytes: Uint8Array; what: string } {
  const model = decodeOnnxObject(bytes);
  const steps: string[] = [];
  const n = rng.weighted([[6, 1], [3, 2], [1, 3]]);
  for (let k = 0; k < n; k++) steps.push(applyStep(() => rng.weighted(ONNX_MUTATIONS)(rng, model)));
  return { bytes: encodeOnnxObject(model), what: steps.join(' + ') };
}
