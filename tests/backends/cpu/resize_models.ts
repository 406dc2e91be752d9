/** Small single-node ONNX models (Resize, Upsample, DepthToSpace, SpaceToDepth) built in TypeScript for the tests. */
import { encodeModel, FLOAT, INT64, int64Init, node, valueInfo } from '../../import/onnx/helpers.js';

export type OnnxAttr = number | string | number[];

/** AttributeProto from a JS value: integers as INT(S), other numbers as FLOAT(S) unless `floats` names them. */
export function attr(name: string, v: OnnxAttr, floats = false): object {
  if (typeof v === 'string') return { name, type: 3, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return floats ? { name, type: 6, floats: v } : { name, type: 7, ints: v };
  return floats || !Number.isInteger(v) ? { name, type: 1, f: v } : { name, type: 2, i: v };
}

const FLOAT_ATTRS = new Set(['cubic_coeff_a', 'extrapolation_value', 'scales', 'height_scale', 'width_scale']);

export interface ResizeModelSpec {
  op?: 'Resize' | 'Upsample';
  opset: number;
  inShape: (number | string)[];
  attrs?: Record<string, OnnxAttr>;
  roi?: number[];
  scales?: number[];
  sizes?: number[];
  /** Upsample-9 / Resize-10: scales as input 1. */
  legacyScalesInput?: boolean;
}

export function resizeModel(spec: ResizeModelSpec): Uint8Array {
  const op = spec.op ?? 'Resize';
  const inits: object[] = [];
  const floats = (name: string, v: number[]) => inits.push({ name, data_type: FLOAT, dims: [v.length], float_data: v });
  let inputs: string[];
  if (spec.legacyScalesInput) {
    floats('scales', spec.scales!);
    inputs = ['x', 'scales'];
  } else if (op === 'Upsample') {
    inputs = ['x'];
  } else {
    inputs = ['x', '', '', ''];
    if (spec.roi) {
      floats('roi', spec.roi);
      inputs[1] = 'roi';
    }
    if (spec.scales) {
      floats('scales', spec.scales);
      inputs[2] = 'scales';
    }
    if (spec.sizes) {
      inits.push({ name: 'sizes', data_type: INT64, dims: [spec.sizes.length], int64_data: spec.sizes });
      inputs[3] = 'sizes';
    }
    // Opset 11 has no optional roi / scales: an empty tensor stands for "absent".
    if (spec.opset === 11) {
      for (const [i, name] of [[1, 'roi'], [2, 'scales']] as const)
        if (inputs[i] === '') {
          floats(name, []);
          inputs[i] = name;
        }
    }
    while (inputs[inputs.length - 1] === '') inputs.pop();
  }
  const attrs = Object.entries(spec.attrs ?? {}).map(([k, v]) => attr(k, v, FLOAT_ATTRS.has(k)));
  return encodeModel({
    nodes: [node(op, inputs, ['y'], 'resize0', attrs)],
    inputs: [valueInfo('x', spec.inShape)],
    outputs: [valueInfo('y', spec.inShape.map((_, i) => `o${i}`))],
    initializers: inits,
    opset: spec.opset,
  });
}

export function spaceDepthModel(op: 'DepthToSpace' | 'SpaceToDepth', inShape: number[], attrs: Record<string, OnnxAttr>, opset = 13): Uint8Array {
  return encodeModel({
    nodes: [node(op, ['x'], ['y'], 'sd0', Object.entries(attrs).map(([k, v]) => attr(k, v)))],
    inputs: [valueInfo('x', inShape)],
    outputs: [valueInfo('y', inShape.map((_, i) => `o${i}`))],
    opset,
  });
}

/**
 * x [1, 3, H, W] → MaxPool 2×2/2 → f [1, 3, H/2, W/2]; y = Resize(f, sizes = Concat(Shape(f)[0:2], Shape(x)[2:4])),
 * bilinear, half_pixel: the FCN / DeepLab head pattern, with symbolic H and W.
 */
export function dynamicSizesModel(): Uint8Array {
  const slice = (name: string, input: string) => node('Slice', [input, `${name}_s`, `${name}_e`, `${name}_a`], [name], name);
  return encodeModel({
    opset: 13,
    nodes: [
      node('MaxPool', ['x'], ['f'], 'pool', [attr('kernel_shape', [2, 2]), attr('strides', [2, 2])]),
      node('Shape', ['x'], ['xs'], 'shape_x'),
      node('Shape', ['f'], ['fs'], 'shape_f'),
      slice('hw', 'xs'),
      slice('nc', 'fs'),
      node('Concat', ['nc', 'hw'], ['sizes'], 'concat', [attr('axis', 0)]),
      node('Resize', ['f', '', '', 'sizes'], ['y'], 'up', [attr('mode', 'linear')]),
    ],
    inputs: [valueInfo('x', [1, 3, 'H', 'W'])],
    outputs: [valueInfo('y', [1, 3, 'H', 'W'])],
    initializers: [int64Init('hw_s', [2]), int64Init('hw_e', [4]), int64Init('hw_a', [0]), int64Init('nc_s', [0]), int64Init('nc_e', [2]), int64Init('nc_a', [0])],
  });
}
