/**
 * The WGSL of `depthwise_4x4` (conv_select.ts): a depthwise conv (one input channel per group, any channel
 * multiplier) where each invocation computes 4 output columns × 4 output channels, the channels in one vec4 so each
 * tap's 4 weights are one vec4 load (weights repacked at load to [KH·KW, C_out → 4], depthwise.ts). TF.js's depthwise
 * vec4 program and its 3×3 register-reuse PR (docs/webgpu.md "Real-GPU variants"): on 3-wide stride-1 / dilation-1
 * kernels (WIN3) a row's 6 input columns are loaded once and feed the 3 taps of all 4 outputs. Built from the conv
 * generator's snippets (conv_wgsl.ts: store4, the shader shell, the precision alias), so f32 and the opt-in f16
 * arithmetic are one text each.
 */
import { precisionAlias, shaderText, store4, type Precision } from './conv_wgsl.js';

const range = (n: number): number[] => Array.from({ length: n }, (_, k) => k);

export function depthwise4x4Wgsl(precision: Precision = 'f32'): string {
  const helpers = [
    precisionAlias(precision),
    '// The 4 output channels\' inputs at one column of one row (row offsets r, clamped column + 0/1 mask at the border).',
    'fn px(r: vec4<u32>, iw: i32) -> vec4<ft> {',
    '  let c = u32(clamp(iw, 0, i32(u.in_w) - 1));',
    '  let v = vec4<f32>(x_at(r.x + c), x_at(r.y + c), x_at(r.z + c), x_at(r.w + c));',
    '  return vec4<ft>(select(vec4<f32>(0.0), v, iw >= 0 && iw < i32(u.in_w)));',
    '}',
    ...store4('u.out_h', false),
  ];
  const main = [
    'let i = flat_group(wid, nwg) * WG + lid;',
    'if (i >= u.total) { return; }',
    'let owb = i % u.ow_blocks;',
    'var t = i / u.ow_blocks;',
    'let oh = t % u.out_h;',
    't = t / u.out_h;',
    'let cb = t % u.c_blocks;',
    'let n = t / u.c_blocks;',
    'let oc0 = cb * 4u;',
    '// Input plane of each output channel (oc / multiplier); padding channels (zero weights) read the last one.',
    'let last = u.out_c - 1u;',
    'let plane = u.in_h * u.in_w;',
    'let planes = (n * u.in_c + vec4<u32>(min(oc0, last), min(oc0 + 1u, last), min(oc0 + 2u, last), min(oc0 + 3u, last)) / u.mult) * plane;',
    'let ow0 = owb * 4u;',
    'let ih0 = i32(oh * u.stride_h) - u.pad_top;',
    'let iw0 = i32(ow0 * u.stride_w) - u.pad_left;',
    'let sw = i32(u.stride_w);',
    ...range(4).map((p) => `var a${p} = vec4<ft>(0.0);`),
    'for (var kh = 0u; kh < KH; kh++) {',
    '  let ih = ih0 + i32(kh * u.dil_h);',
    '  if (ih < 0 || ih >= i32(u.in_h)) { continue; }',
    '  let r = planes + vec4<u32>(u32(ih) * u.in_w);',
    '  let wk = kh * KW * u.wrow + cb;',
    ...range(6).map((j) => `  let x${j} = px(r, iw0 + ${j}); // @if WIN3`),
    ...range(3).map((k) => `  let w${k} = vec4<ft>(w_at4(wk + ${k}u * u.wrow)); // @if WIN3`),
    ...range(4).map((p) => `  a${p} += x${p} * w0 + x${p + 1} * w1 + x${p + 2} * w2; // @if WIN3`),
    '  for (var kw = 0u; kw < KW; kw++) { // @if GENERIC',
    '    let w = vec4<ft>(w_at4(wk + kw * u.wrow)); // @if GENERIC',
    '    let iw = iw0 + i32(kw * u.dil_w); // @if GENERIC',
    ...range(4).map((p) => `    a${p} += px(r, iw${p ? ` + ${p} * sw` : ''}) * w; // @if GENERIC`),
    '  } // @if GENERIC',
    '}',
    'var acc: array<vec4<f32>, 4>;',
    'acc[0] = vec4<f32>(a0); acc[1] = vec4<f32>(a1); acc[2] = vec4<f32>(a2); acc[3] = vec4<f32>(a3);',
    '// One group of out_c channels as far as store4 is concerned (the program sets out_c_per_group = out_c).',
    'for (var p = 0u; p < 4u; p++) { store4(n, 0u, oc0, oh, ow0 + p, acc[p]); }',
  ];
  return shaderText(`Depthwise conv, 4 columns x 4 channels per invocation${precision === 'f16' ? ', f16 arithmetic' : ''}`, helpers, main, 'depthwise_wgsl.ts');
}

export const DEPTHWISE_SHADERS = {
  depthwise_4x4: depthwise4x4Wgsl(),
  depthwise_4x4_f16: depthwise4x4Wgsl('f16'),
} as const;
