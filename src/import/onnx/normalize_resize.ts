/**
 * Import normalisation of ONNX Resize (opsets 10, 11, 13, 18/19), Upsample (7, 9), DepthToSpace and SpaceToDepth
 * to the canonical forms of docs/ir.md. Resize's roi / scales / sizes inputs become attributes; Upsample becomes
 * Resize with asymmetric coordinates.
 *
 * Sizes computed from a symbolic input shape (Shape → Gather/Slice → Concat, what `F.interpolate(x,
 * size=y.shape[-2:])` exports with dynamic axes) do not fold to a constant. The symbolic tracker still knows each
 * entry as a number or "dim d of tensor t"; such entries are kept as references (`sizes` entry -1, with
 * `size_ref_inputs` / `size_ref_dims` naming an extra input of the node and its dim), which the shape rule resolves
 * once the executor is built for concrete input shapes (docs/dynamic-shapes.md).
 */
import { tensorToNumbers, type Attrs, type Node, type Tensor } from '../../graph/ir.js';
import { RESIZE_COORD_MODES, RESIZE_NEAREST_MODES } from '../../graph/ops/resize.js';
import type { ImportContext } from './context.js';
import { constInput, fail } from './node_inputs.js';
import { isKnown } from './symbolic.js';

/** An optional input that must fold to a constant; an empty tensor counts as absent (Resize's roi / scales). */
function constOptional(ctx: ImportContext, n: Node, i: number, what: string): Tensor | undefined {
  const t = constInput(ctx, n, i, what);
  return t && t.data.length === 0 ? undefined : t;
}

function output(n: Node): string {
  const y = n.outputs[0];
  if (y === undefined || y === '') fail(n, 'needs an output');
  return y;
}

function str(n: Node, key: string, dflt: string): string {
  const v = n.attrs[key] ?? dflt;
  if (typeof v !== 'string') fail(n, `attribute '${key}' must be a string`);
  return v;
}

function num(n: Node, key: string, dflt: number): number {
  const v = n.attrs[key] ?? dflt;
  if (typeof v !== 'number') fail(n, `attribute '${key}' must be a number`);
  return v;
}

function checkChoice(n: Node, key: string, v: string, allowed: readonly string[]): void {
  if (!allowed.includes(v)) fail(n, `attribute '${key}' = '${v}' is not supported (expected one of ${allowed.join(', ')})`);
}

/** 'linear' everywhere in the IR; Upsample-7 and older exports also write 'bilinear'. */
function interpMode(n: Node, v: string, allowed: readonly string[]): string {
  const m = v.toLowerCase() === 'bilinear' ? 'linear' : v.toLowerCase();
  checkChoice(n, 'mode', m, allowed);
  return m;
}

/**
 * Upsample (7: scales attribute, 9: scales input) and Resize-10 (scales input): nearest or linear, asymmetric
 * coordinates, output = floor(in × scale); nearest picks floor when an axis upsamples and ceil when it shrinks
 * (the IR's nearest_mode 'simple', as onnxruntime does for these opsets).
 */
const legacyResize = (ctx: ImportContext, n: Node): void => {
  const mode = interpMode(n, str(n, 'mode', 'nearest'), ['nearest', 'linear']);
  const x = n.inputs[0] ?? '';
  let scales: number[] | undefined;
  if (n.op === 'Upsample' && ctx.opset < 9) {
    const s = n.attrs['scales'];
    if (Array.isArray(s)) scales = s as number[];
    else if (ctx.opset < 7) {
      // Upsample-1 (experimental): height_scale / width_scale on NCHW.
      scales = [1, 1, num(n, 'height_scale', 1), num(n, 'width_scale', 1)];
    }
  } else {
    const t = constOptional(ctx, n, 1, 'scales');
    scales = t && tensorToNumbers(t);
  }
  if (!scales) fail(n, "missing 'scales'");
  const rank = ctx.requireShape(x, n, 'input X').length;
  if (scales.length !== rank) fail(n, `'scales' has ${scales.length} values, expected ${rank} (the rank of X)`);
  ctx.add({
    name: n.name,
    op: 'Resize',
    inputs: [x],
    outputs: [output(n)],
    attrs: { mode, coordinate_transformation_mode: 'asymmetric', nearest_mode: 'simple', scales },
  });
};

const resize = (ctx: ImportContext, n: Node): void => {
  if (ctx.opset < 11) return legacyResize(ctx, n);
  const x = n.inputs[0] ?? '';
  const rank = ctx.requireShape(x, n, 'input X').length;
  const mode = interpMode(n, str(n, 'mode', 'nearest'), ['nearest', 'linear', 'cubic']);
  const coord = str(n, 'coordinate_transformation_mode', 'half_pixel');
  checkChoice(n, 'coordinate_transformation_mode', coord, RESIZE_COORD_MODES);
  if (coord === 'half_pixel_symmetric' && ctx.opset < 18) fail(n, `attribute 'coordinate_transformation_mode' = '${coord}' needs opset 18`);
  const nearest = str(n, 'nearest_mode', 'round_prefer_floor');
  checkChoice(n, 'nearest_mode', nearest, RESIZE_NEAREST_MODES.filter((m) => m !== 'simple'));
  const antialias = num(n, 'antialias', 0);
  if (antialias !== 0) fail(n, `attribute 'antialias' = ${antialias} is not supported (only 0)`);
  const policy = str(n, 'keep_aspect_ratio_policy', 'stretch');
  checkChoice(n, 'keep_aspect_ratio_policy', policy, ['stretch', 'not_larger', 'not_smaller']);

  // Opset 18 `axes`: roi / scales / sizes list only these axes; the others keep scale 1 / their size.
  const axesAttr = n.attrs['axes'];
  let axes = [...Array(rank).keys()];
  if (axesAttr !== undefined) {
    if (!Array.isArray(axesAttr)) fail(n, "attribute 'axes' must be a list of integers");
    axes = (axesAttr as number[]).map((a) => {
      const ax = a < 0 ? a + rank : a;
      if (!Number.isInteger(ax) || ax < 0 || ax >= rank) fail(n, `attribute 'axes' = [${axesAttr.join(', ')}]: axis ${a} is out of range for rank ${rank}`);
      return ax;
    });
    if (new Set(axes).size !== axes.length) fail(n, `attribute 'axes' = [${axesAttr.join(', ')}] has duplicates`);
  }
  const expand = (vals: number[], what: string, fill: (k: number) => number): number[] => {
    if (vals.length !== axes.length) fail(n, `${what} has ${vals.length} values, expected ${axes.length} (${axesAttr ? 'one per axis in axes' : 'the rank of X'})`);
    const full = [...Array(rank).keys()].map(fill);
    axes.forEach((ax, i) => (full[ax] = vals[i]!));
    return full;
  };

  const attrs: Attrs = { mode, coordinate_transformation_mode: coord };
  if (mode === 'nearest') attrs['nearest_mode'] = nearest;
  if (mode === 'cubic') {
    attrs['cubic_coeff_a'] = num(n, 'cubic_coeff_a', -0.75);
    attrs['exclude_outside'] = num(n, 'exclude_outside', 0);
  }
  if (coord === 'tf_crop_and_resize') {
    attrs['extrapolation_value'] = num(n, 'extrapolation_value', 0);
    const roiT = constOptional(ctx, n, 1, 'roi');
    if (!roiT) fail(n, "coordinate_transformation_mode 'tf_crop_and_resize' needs input 1 (roi)");
    const roi = tensorToNumbers(roiT);
    const k = axes.length;
    if (roi.length !== 2 * k) fail(n, `input 1 (roi) has ${roi.length} values, expected ${2 * k}`);
    attrs['roi'] = [...expand(roi.slice(0, k), 'roi starts', () => 0), ...expand(roi.slice(k), 'roi ends', () => 1)];
  }

  const scalesT = constOptional(ctx, n, 2, 'scales');
  const sizesName = n.inputs[3] ?? '';
  if (scalesT && sizesName !== '') fail(n, "only one of 'scales' (input 2) and 'sizes' (input 3) may be given");
  const inputs = [x];
  if (scalesT) {
    if (policy !== 'stretch') ctx.notes.push(`Resize '${n.name}': keep_aspect_ratio_policy ignored with scales (ONNX: applies to sizes only)`);
    attrs['scales'] = expand(tensorToNumbers(scalesT), 'input 2 (scales)', () => 1);
  } else if (sizesName !== '') {
    const shape = ctx.requireShape(x, n, 'input X');
    const sizesT = ctx.constant(sizesName);
    // An unknown entry references a dim of some tensor, made an extra input of the node (read for its shape only).
    const refInputs = new Array<number>(rank).fill(-1);
    const refDims = new Array<number>(rank).fill(-1);
    let sizes: number[];
    if (sizesT) {
      if (sizesT.dtype !== 'i64' && sizesT.dtype !== 'i32') fail(n, `input 3 (sizes) must be an integer tensor, got ${sizesT.dtype}`);
      sizes = expand(tensorToNumbers(sizesT), 'input 3 (sizes)', (k) => shape[k]!);
    } else {
      const sym = ctx.sym(sizesName);
      if (!sym || sym.scalar)
        fail(n, `input 3 (sizes, '${sizesName}') must be a constant or computed from input shapes (Shape/Gather/Slice/Concat); it is neither`);
      const items = sym.items;
      if (items.length !== axes.length) fail(n, `input 3 (sizes) has ${items.length} values, expected ${axes.length}`);
      if (policy !== 'stretch')
        fail(n, `attribute 'keep_aspect_ratio_policy' = '${policy}' with sizes computed from a dynamic input shape is not supported; give static input shapes`);
      sizes = [...shape];
      axes.forEach((ax, i) => {
        const e = items[i]!;
        if (isKnown(e)) return void (sizes[ax] = e);
        let j = inputs.indexOf(e.tensor);
        if (j < 0) j = inputs.push(e.tensor) - 1;
        sizes[ax] = -1;
        refInputs[ax] = j;
        refDims[ax] = e.dim;
      });
    }
    // Axes outside `axes` keep their size; when it is unknown it references X itself.
    sizes.forEach((s, k) => {
      if (s < 0 && refInputs[k] === -1) {
        refInputs[k] = 0;
        refDims[k] = k;
      }
    });
    if (refInputs.some((r) => r >= 0)) {
      attrs['size_ref_inputs'] = refInputs;
      attrs['size_ref_dims'] = refDims;
    }
    if (policy !== 'stretch' && sizesT) {
      // keep_aspect_ratio_policy: one scale for the listed axes (min for not_larger, max for not_smaller), output
      // round(scale × in); the transform uses that scale (ONNX reference). Needs those input dims known here.
      const ratios = axes.map((ax) => {
        if (shape[ax]! < 0) fail(n, `attribute 'keep_aspect_ratio_policy' = '${policy}' needs the size of axis ${ax} of X, which is dynamic; give static input shapes`);
        return sizes[ax]! / shape[ax]!;
      });
      const s = Math.fround(policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios));
      const scales = new Array<number>(rank).fill(1);
      for (const ax of axes) {
        scales[ax] = s;
        sizes[ax] = Math.floor(Math.fround(s * shape[ax]!) + 0.5);
      }
      attrs['scales'] = scales;
    }
    attrs['sizes'] = sizes;
  } else fail(n, "needs input 2 (scales) or input 3 (sizes)");
  ctx.add({ name: n.name, op: 'Resize', inputs, outputs: [output(n)], attrs });
};

const depthToSpace = (ctx: ImportContext, n: Node): void => {
  const attrs: Attrs = { blocksize: num(n, 'blocksize', NaN) };
  // Opsets < 11 have no mode: DCR.
  if (n.op === 'DepthToSpace') attrs['mode'] = ctx.opset >= 11 ? str(n, 'mode', 'DCR') : 'DCR';
  ctx.add({ name: n.name, op: n.op, inputs: [n.inputs[0] ?? ''], outputs: [output(n)], attrs });
};

export const resizeNormalizers: Record<string, (ctx: ImportContext, n: Node) => void> = {
  Resize: resize,
  Upsample: legacyResize,
  DepthToSpace: depthToSpace,
  SpaceToDepth: depthToSpace,
};
