/**
 * The WGSL of the implicit-GEMM convs, generated from one set of snippets (no copies per variant): thread decode,
 * accumulators, the K loop (generic taps or a 3-wide window), the epilogue loop and store4. A register-tiled shader is
 * a parameter set (`ConvGemmShader`) plus what is truly its own (its window origin lines); the workgroup-memory
 * conv2d_wgm (convWgmWgsl) shares store4 and the shell. Bindings are touched only through the generated accessors
 * (x_at, w_at4, y_set...; ProgramSpec.accessors in program.ts).
 *
 * Design shared by the register-tiled shaders (conv_gemm.ts / conv3d_gemm.ts build the programs):
 *  - M = output positions, N = output channels, K = C_in/group x taps; the im2col matrix is never built: each thread
 *    reads its input rows directly (clamped index + select / 0-1 mask at the borders).
 *  - Register tile per thread: PX output columns of one output row (8, or 4 when PX8 == 0) x OCB output channels
 *    (8, or 4 when OC8 == 0) in vec4 accumulators (a* = channels 0-3, b* = channels 4-7, index = column).
 *  - No workgroup memory or barriers (costly on SwiftShader / CPU-like adapters). Consecutive threads take consecutive
 *    column blocks of the same channel block, so their weight reads coincide and their input reads are adjacent.
 *  - Weights are repacked at load to [C_in/group, taps, group x C_out/group padded to OCB] (conv_gemm.ts
 *    packWeightsGrouped): one vec4 = 4 output channels of one tap; a channel block never straddles two groups.
 *  - The epilogue is one loop over the accumulators calling store4 once: SwiftShader compiles every inlined call
 *    separately, so unrolled stores made pipelines ~6x slower to create (tests/backends/webgpu/compile_size.test.ts).
 * PX / OCB / KD / KH / KW / WG and the epilogue switches are `const`s baked per program (program.ts defines); the
 * lines that depend on PX8 / OC8 / PX8_OC8 / TRANSPOSED carry `// @if NAME` (program.ts applyConditionals).
 * Nothing here depends on a model file: the text is fixed at module load from the parameter sets below.
 */

/** How a thread walks its taps along the width. */
export type ConvWindow =
  | 'generic' // any kernel width / stride / dilation: PX bounds-checked loads per tap
  | 'win3' // 3-wide, stride 1, dilation 1: the PX + 2 input columns' offsets and masks computed once, 3 taps fed from them
  | 'win3s2'; // 3-wide, stride 2, dilation 1: 2 PX + 1 input columns (output j reads 2j, 2j + 1, 2j + 2)

export interface ConvGemmShader {
  /** 2: NCHW (rows = output rows, or ConvTranspose phase rows); 3: NCDHW (rows = (depth, row) lines). */
  dims: 2 | 3;
  window: ConvWindow;
  /** Arithmetic type `ft` of products and accumulators (default f32); 'f16' needs `shader-f16`. */
  precision?: Precision;
}

/**
 * f32, or f16 arithmetic (the opt-in f16-compute variants: vec4<f16> products and accumulators, half the registers;
 * loads and the epilogue stay f32 through the accessors). Shaders name the type `ft`, declared once per shader.
 */
export type Precision = 'f32' | 'f16';
export const precisionAlias = (p: Precision = 'f32'): string => `alias ft = ${p};`;

const MAX_PX = 8;
/** Accumulator halves: a* (channels 0-3) always, b* (channels 4-7) when OC8. */
const HALVES = ['a', 'b'] as const;

/** The `// @if` tag of a line that only exists for column p (0-based) and channel half q (0 = a, 1 = b). */
function tag(p: number, q = 0): string {
  if (p >= 4 && q >= 1) return ' // @if PX8_OC8';
  if (p >= 4) return ' // @if PX8';
  if (q >= 1) return ' // @if OC8';
  return '';
}

const range = (n: number): number[] => Array.from({ length: n }, (_, k) => k);
const indent = (lines: string[], by: string): string[] => lines.map((l) => by + l);

/** The end of every epilogue: value `v` of output element `idx`, the residual before or after the activation, store. */
export function residualActivateStore(pad: string): string[] {
  return ['v += res_at(idx); // @if RES_BEFORE', 'v = activate(v);', 'v += res_at(idx); // @if RES_AFTER', 'y_set(idx, v);'].map((l) => pad + l);
}

/**
 * Epilogue for 4 channels (padded column local0.. of group g) of one output position: output row `row` of `rows`
 * (2-D: out_h; 3-D: out_d x out_h, row = od x out_h + oh, the same NCDHW offset), column ow.
 */
/**
 * BatchNormConv's input prologue (src/graph/ops/batchnorm_conv.ts; switches IN_BN, IN_RELU): input channel c's BN
 * as x * a[c] + b[c] (bn_ab = [a | b], the float32 terms the CPU reference uses), then ReLU, applied to each value
 * the A gather loads. Only 1x1 / unpadded convs carry it, so every loaded value is a real input (never a padding 0).
 */
export const BN_PROLOGUE: readonly string[] = [
  'fn bn_in(x: f32, c: u32) -> f32 { // @if IN_BN',
  '  let v = x * bn_ab_at(c) + bn_ab_at(u.in_c + c); // @if IN_BN',
  '  return select(v, max(v, 0.0), IN_RELU != 0u); // @if IN_BN',
  '} // @if IN_BN',
];

export function store4(rows: string, transposed: boolean): string[] {
  return [
    'fn store4(n: u32, g: u32, local0: u32, row: u32, ow: u32, acc: vec4<f32>) {',
    // ConvTranspose: the last row of a stride phase can lie past out_h.
    `  if (ow >= u.out_w${transposed ? ' || row >= u.out_h' : ''}) { return; }`,
    '  for (var j = 0u; j < 4u; j++) {',
    '    if (local0 + j < u.out_c_per_group) {',
    '      let oc = g * u.out_c_per_group + local0 + j;',
    `      let idx = ((n * u.out_c + oc) * ${rows} + row) * u.out_w + ow;`,
    '      var v = acc[j];',
    '      v += bias_at(oc); // @if HAS_BIAS',
    ...residualActivateStore('      '),
    '    }',
    '  }',
    '}',
  ];
}

/** Border helpers: a bounds-checked load (generic taps) or the clamped column and its 0/1 mask (window shaders). */
function borderHelpers(window: ConvWindow): string[] {
  if (window === 'generic')
    return [
      'fn xat(row: u32, iw: i32) -> f32 {',
      '  let v = x_at(row + u32(clamp(iw, 0, i32(u.in_w) - 1)));',
      '  return select(0.0, v, iw >= 0 && iw < i32(u.in_w));',
      '}',
    ];
  return [
    'fn col_of(iw: i32) -> u32 {',
    '  return u32(clamp(iw, 0, i32(u.in_w) - 1));',
    '}',
    'fn mask_of(iw: i32) -> f32 {',
    '  return select(0.0, 1.0, iw >= 0 && iw < i32(u.in_w));',
    '}',
  ];
}

/** Flat thread index -> column block, the row axes (innermost first), channel block, batch; then group and channel. */
function threadDecode(rowAxes: [name: string, extent: string][]): string[] {
  return [
    'let i = flat_group(wid, nwg) * WG + lid;',
    'if (i >= u.total) { return; }',
    'let owb = i % u.ow_blocks;',
    'var t = i / u.ow_blocks;',
    ...rowAxes.flatMap(([name, extent]) => [`let ${name} = t % ${extent};`, `t = t / ${extent};`]),
    'let ocb = t % u.oc_blocks;',
    'let n = t / u.oc_blocks;',
    'let col0 = ocb * OCB; // padded column: group g, channel local0 of that group',
    'let g = col0 / u.oc_per_group_pad;',
    'let local0 = col0 % u.oc_per_group_pad;',
  ];
}

function accumulators(): string[] {
  return HALVES.flatMap((h, q) => range(MAX_PX).map((p) => `var ${h}${p} = vec4<ft>(0.0);${tag(p, q)}`));
}

/** Input columns a window thread loads per input row: PX + 2 (stride 1) or 2 PX + 1 (stride 2); PX = 4 needs the first ones. */
function windowColumns(window: Exclude<ConvWindow, 'generic'>): { stride: number; count: number; count4: number } {
  const stride = window === 'win3' ? 1 : 2;
  return { stride, count: stride * (MAX_PX - 1) + 3, count4: stride * 3 + 3 };
}

/** Per-thread column offsets and border masks of a window shader (hoisted out of the K loop). */
function windowSetup(window: Exclude<ConvWindow, 'generic'>): string[] {
  const { count, count4 } = windowColumns(window);
  return range(count).map((j) => `let c${j} = col_of(iw0 + ${j}); let m${j} = mask_of(iw0 + ${j});${j >= count4 ? ' // @if PX8' : ''}`);
}

/** The innermost K step for one input row `xrow` whose taps start at weight vec4 `widx0`. */
function rowBody(window: ConvWindow, widx0: string): string[] {
  if (window === 'generic') {
    return [
      `var widx = ${widx0};`,
      'for (var kw = 0u; kw < KW; kw++) {',
      '  let wa = vec4<ft>(w_at4(widx));',
      '  let wb = vec4<ft>(w_at4(widx + 1u)); // @if OC8',
      '  widx += wstep;',
      '  let iw = iw0 + i32(kw * u.dil_w);',
      ...range(MAX_PX).map((p) => `  let x${p} = ft(xat(xrow, iw${p === 0 ? '' : p === 1 ? ' + sw' : ` + ${p} * sw`}));${tag(p)}`),
      ...HALVES.flatMap((h, q) => range(MAX_PX).map((p) => `  ${h}${p} += x${p} * w${h};${tag(p, q)}`)),
      '}',
    ];
  }
  const { stride, count, count4 } = windowColumns(window);
  return [
    `let widx = ${widx0};`,
    ...range(count).map((j) => `let x${j} = ft(x_at(xrow + c${j}) * m${j});${j >= count4 ? ' // @if PX8' : ''}`),
    ...range(3).flatMap((k) => [`let wa${k} = vec4<ft>(w_at4(widx + ${k}u * wstep));`, `let wb${k} = vec4<ft>(w_at4(widx + ${k}u * wstep + 1u)); // @if OC8`]),
    ...HALVES.flatMap((h, q) =>
      range(MAX_PX).map((p) => `${h}${p} += ${range(3).map((k) => `x${stride * p + k} * w${h}${k}`).join(' + ')};${tag(p, q)}`),
    ),
  ];
}

/** The K loop: input channels of the group, then (3-D) depth taps, then kernel rows; rows outside the input skipped. */
function kLoop(dims: 2 | 3, window: ConvWindow): string[] {
  const planeSize = dims === 3 ? 'u.in_d * plane' : 'u.in_h * u.in_w';
  const tapRow = dims === 3 ? '((ic * KD + kd) * KH + kh) * KW' : '(ic * KH + kh) * KW';
  const rows = [
    'let ih = ih0 + i32(kh * u.dil_h);',
    'if (ih < 0 || ih >= i32(u.in_h)) { continue; }',
    `let xrow = ${dims === 3 ? 'xplane' : 'xbase'} + u32(ih) * u.in_w;`,
    ...rowBody(window, `(${tapRow}) * wstep + wbase`),
  ];
  const khLoop = ['for (var kh = 0u; kh < KH; kh++) {', ...indent(rows, '  '), '}'];
  const inner =
    dims === 3
      ? [
          'for (var kd = 0u; kd < KD; kd++) {',
          '  let id = id0 + i32(kd * u.dil_d);',
          '  if (id < 0 || id >= i32(u.in_d)) { continue; }',
          '  let xplane = xbase + u32(id) * plane;',
          ...indent(khLoop, '  '),
          '}',
        ]
      : khLoop;
  return [
    'for (var ic = 0u; ic < u.in_c_per_group; ic++) {',
    `  let xbase = (n * u.in_c + g * u.in_c_per_group + ic) * ${planeSize};`,
    ...indent(inner, '  '),
    '}',
  ];
}

/** The accumulators into one array, then one store4 call site in a loop (see the file comment). */
function epilogue(row: string, colStep: string): string[] {
  return [
    'var acc: array<vec4<f32>, 16>;',
    'acc[0] = vec4<f32>(a0); acc[1] = vec4<f32>(a1); acc[2] = vec4<f32>(a2); acc[3] = vec4<f32>(a3);',
    'acc[4] = vec4<f32>(a4); acc[5] = vec4<f32>(a5); acc[6] = vec4<f32>(a6); acc[7] = vec4<f32>(a7); // @if PX8',
    'acc[PX] = vec4<f32>(b0); acc[PX + 1u] = vec4<f32>(b1); acc[PX + 2u] = vec4<f32>(b2); acc[PX + 3u] = vec4<f32>(b3); // @if OC8',
    'acc[PX + 4u] = vec4<f32>(b4); acc[PX + 5u] = vec4<f32>(b5); acc[PX + 6u] = vec4<f32>(b6); acc[PX + 7u] = vec4<f32>(b7); // @if PX8_OC8',
    `for (var k = 0u; k < PX * OCB / 4u; k++) { store4(n, g, local0 + 4u * (k / PX), ${row}, ow0 + (k % PX)${colStep}, acc[k]); }`,
  ];
}

/**
 * ConvTranspose on the 2-D generic shader (conv_transpose.ts): output phase (ph, pw), i.e. positions
 * (ph + s_h * jh, pw + s_w * jw), only receives the taps k with (ph + pad - k * d) % s == 0, and from input (jh, jw)
 * + const: a stride-1 correlation of x with those taps (flipped and zero-padded to KH x KW, packed per phase at load)
 * whose window starts at (jh, jw) + phase_base. The host sets stride = 1 and dilation = d / gcd(d, s); only the output
 * coordinates are strided (out_step = s). The tile row gh is row jh of stride phase ph.
 */
const TRANSPOSED_ORIGIN = [
  'let ph = gh / u.phase_rows;',
  'let jh = gh % u.phase_rows;',
  'let pw = owb / u.phase_col_blocks;',
  'let jw0 = (owb % u.phase_col_blocks) * PX;',
  'oh = ph + jh * u.out_step_h;',
  'ow0 = pw + jw0 * u.out_step_w;',
  'ow_step = u.out_step_w;',
  'ih0 = i32(jh) + lane_i(u.phase_base_h[ph / 4u], ph);',
  'iw0 = i32(jw0) + lane_i(u.phase_base_w[pw / 4u], pw);',
  'wbase += (ph * u.phase_count_w + pw) * u.phase_wsize;',
].map((l) => `${l} // @if TRANSPOSED`);

/** The window origin of a thread's tile (what differs between the shaders besides the K step). */
function origin(p: ConvGemmShader): string[] {
  const iw0 = p.window === 'win3' ? 'i32(ow0)' : p.window === 'win3s2' ? 'i32(2u * ow0)' : 'i32(ow0 * u.stride_w)';
  if (p.dims === 3)
    return [
      'let ow0 = owb * PX;',
      'let id0 = i32(od * u.stride_d) - u.pad_front;',
      'let ih0 = i32(oh * u.stride_h) - u.pad_top;',
      `let iw0 = ${iw0} - u.pad_left;`,
      'let wbase = col0 / 4u;',
      'let plane = u.in_h * u.in_w;',
    ];
  if (p.window !== 'generic')
    return ['let oh = gh;', 'let ow0 = owb * PX;', 'let ih0 = i32(oh * u.stride_h) - u.pad_top;', `let iw0 = ${iw0} - u.pad_left;`, 'let wbase = col0 / 4u;'];
  return [
    'var oh = gh;',
    'var ow0 = owb * PX;',
    'var ow_step = 1u;',
    'var ih0 = i32(gh * u.stride_h) - u.pad_top;',
    `var iw0 = ${iw0} - u.pad_left;`,
    'var wbase = col0 / 4u;',
    ...TRANSPOSED_ORIGIN,
  ];
}

/** A shader body (after program.ts's generated header and preamble): helper declarations, then main() of WG threads. */
export function shaderText(title: string, decls: string[], main: string[], generator = 'conv_wgsl.ts'): string {
  return [
    `// ${title}: generated by src/backends/webgpu/${generator} (see there).`,
    ...decls,
    '',
    '@compute @workgroup_size(WG)',
    'fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {',
    ...indent(main, '  '),
    '}',
    '',
  ].join('\n');
}

/** The WGSL body (after program.ts's generated header and preamble) of one register-tiled implicit-GEMM shader. */
export function convGemmWgsl(p: ConvGemmShader): string {
  const transposed = p.dims === 2 && p.window === 'generic';
  const rowAxes: [string, string][] = p.dims === 3 ? [['oh', 'u.out_h'], ['od', 'u.out_d']] : [['gh', 'u.grid_h']];
  const main = [
    ...threadDecode(rowAxes),
    ...origin(p),
    ...(p.window === 'generic' ? ['let sw = i32(u.stride_w);'] : []),
    'let wstep = u.cols_padded / 4u;',
    ...(p.window === 'generic' ? [] : windowSetup(p.window)),
    ...accumulators(),
    ...kLoop(p.dims, p.window),
    ...epilogue(p.dims === 3 ? 'od * u.out_h + oh' : 'oh', transposed ? ' * ow_step' : ''),
  ];
  return shaderText(
    `${p.dims}-D implicit-GEMM conv, ${p.window} taps${p.precision === 'f16' ? ', f16 arithmetic' : ''}`,
    [precisionAlias(p.precision), ...borderHelpers(p.window), ...store4(p.dims === 3 ? 'u.out_d * u.out_h' : 'u.out_h', transposed)],
    main,
  );
}

/** Workgroup-memory tile of conv2d_wgm: 32 output positions x 32 output channels, K step 32 (see convWgmWgsl). */
export const WGM_TILE = 32;

/** conv2d_wgm's output-channel tile: 32 (8 x 8 threads) or 64 (conv2d_wgm16: 8 x 16 threads, ORT's 8x16 form). */
export interface WgmShape {
  channelsTile: 32 | 64;
}

/**
 * conv2d_wgm: the implicit GEMM staged through workgroup memory, the layout of TF.js's / ONNX Runtime's WebGPU
 * Conv2DMM (docs/webgpu.md "Real-GPU conv variants"): 8 x 8 threads, 4 x 4 outputs per thread, a 32 x 32 output tile
 * (M = positions n·oh·ow flattened, N = padded output channels of one group), K tiles of 32. Per K tile the 64
 * threads gather the 32 x 32 input patch (im2col on the fly, 16 loads each: a thread keeps one position, so its
 * (n, oh, ow) decode is done once) and load the 32 x 32 weight tile as 4 vec4s each, then after a barrier run 32
 * steps of 2 vec4 workgroup reads for 16 multiply-adds. 8 KiB of workgroup memory. Weights packed with 32-channel
 * blocks per group (conv_gemm.ts packWeightsGrouped), so B needs no column guard. Not for SwiftShader (barriers
 * and workgroup memory are slow there); it is an autotuner candidate for hardware adapters.
 * channelsTile 64 (conv2d_wgm16) widens the tile to 32 x 64 with 8 x 16 = 128 threads, still 4 x 4 outputs each:
 * the A gather halves to 8 loads per thread, the weight tile doubles (still 4 vec4 loads each), 12 KiB in all.
 */
export function convWgmWgsl(shape: WgmShape = { channelsTile: 32 }): string {
  const ct = shape.channelsTile;
  const threads = 8 * (ct / 4); // 8 position groups x (ct / 4) channel groups
  const colVecs = ct / 4; // vec4s per weight-tile row
  const main = [
    'let tile = flat_group(wid, nwg);',
    'if (tile >= u.m_tiles * u.n_tiles) { return; } // whole workgroups (workgroup_id is uniform): barriers stay valid',
    'let tm = tile % u.m_tiles;',
    `let col0 = (tile / u.m_tiles) * ${ct}u; // padded column: group g, channel local0 of that group`,
    'let g = col0 / u.oc_per_group_pad;',
    'let local0 = col0 % u.oc_per_group_pad + (lid / 8u) * 4u;',
    'let kg = u.in_c_per_group * KH * KW;',
    'let wrow = u.cols_padded / 4u;',
    `// The position this thread gathers for the A tile (the same for all ${1024 / threads} of its loads).`,
    'let lm = tm * 32u + lid % 32u;',
    'let m_ok = lm < u.total_m;',
    'let ow_l = lm % u.out_w;',
    'let t_l = lm / u.out_w;',
    'let n_l = min(t_l / u.out_h, u.batch - 1u);',
    'let ih0 = i32((t_l % u.out_h) * u.stride_h) - u.pad_top;',
    'let iw0 = i32(ow_l * u.stride_w) - u.pad_left;',
    'let plane = u.in_h * u.in_w;',
    'let xbase = (n_l * u.in_c + g * u.in_c_per_group) * plane;',
    'let a_slot = (lid % 32u) / 4u;',
    'let a_lane = lid % 4u;',
    'var acc: array<vec4<f32>, 4>;',
    'for (var k0 = 0u; k0 < kg; k0 += 32u) {',
    `  for (var r = 0u; r < ${1024 / threads}u; r++) {`,
    `    let kk = lid / 32u + ${threads / 32}u * r;`,
    '    let k = k0 + kk;',
    '    var v = 0.0;',
    '    if (m_ok && k < kg) {',
    '      let ic = k / (KH * KW);',
    '      let tap = k % (KH * KW);',
    '      let ih = ih0 + i32((tap / KW) * u.dil_h);',
    '      let iw = iw0 + i32((tap % KW) * u.dil_w);',
    '      if (ih >= 0 && ih < i32(u.in_h) && iw >= 0 && iw < i32(u.in_w)) { v = x_at(xbase + ic * plane + u32(ih) * u.in_w + u32(iw)); }',
    '      v = bn_in(v, g * u.in_c_per_group + ic); // @if IN_BN',
    '    }',
    '    tile_a[kk * 8u + a_slot][a_lane] = v;',
    '  }',
    '  for (var r = 0u; r < 4u; r++) {',
    `    let e = lid + ${threads}u * r;`,
    `    let k = k0 + e / ${colVecs}u;`,
    '    var w = vec4<f32>(0.0);',
    `    if (k < kg) { w = w_at4(k * wrow + col0 / 4u + e % ${colVecs}u); }`,
    '    tile_b[e] = w;',
    '  }',
    '  workgroupBarrier();',
    '  for (var kk = 0u; kk < 32u; kk++) {',
    '    let a = tile_a[kk * 8u + lid % 8u];',
    `    let b = tile_b[kk * ${colVecs}u + lid / 8u];`,
    '    acc[0] += a.x * b;',
    '    acc[1] += a.y * b;',
    '    acc[2] += a.z * b;',
    '    acc[3] += a.w * b;',
    '  }',
    '  workgroupBarrier();',
    '}',
    '// Thread (tx, ty) holds positions tm·32 + 4·tx + i, channels local0 .. local0 + 3.',
    'for (var i = 0u; i < 4u; i++) {',
    '  let m = tm * 32u + (lid % 8u) * 4u + i;',
    '  if (m < u.total_m) {',
    '    let t = m / u.out_w;',
    '    store4(t / u.out_h, g, local0, t % u.out_h, m % u.out_w, acc[i]);',
    '  }',
    '}',
  ];
  const tiles = [
    '// [k][4 positions] and [k][4 channels] of the current K tile.',
    'var<workgroup> tile_a: array<vec4<f32>, 256>;',
    `var<workgroup> tile_b: array<vec4<f32>, ${32 * colVecs}>;`,
  ];
  return shaderText(`2-D implicit-GEMM conv through workgroup memory, 32 x ${ct} tile (convWgmWgsl)`, [...store4('u.out_h', false), ...BN_PROLOGUE, ...tiles], main);
}

/** The generated conv shaders by name (program.ts looks shaders up here after shaders/*.wgsl). */
export const CONV_SHADERS = {
  conv2d_gemm: convGemmWgsl({ dims: 2, window: 'generic' }),
  conv2d_gemm_win3: convGemmWgsl({ dims: 2, window: 'win3' }),
  conv2d_gemm_win3s2: convGemmWgsl({ dims: 2, window: 'win3s2' }),
  conv3d_gemm: convGemmWgsl({ dims: 3, window: 'generic' }),
  conv3d_gemm_win3: convGemmWgsl({ dims: 3, window: 'win3' }),
  conv2d_wgm: convWgmWgsl(),
  conv2d_wgm16: convWgmWgsl({ channelsTile: 64 }),
  // The opt-in f16-compute forms of the 2-D register-tiled shaders (conv2d_gemm*, conv2d_rt*, ConvTranspose).
  conv2d_gemm_f16: convGemmWgsl({ dims: 2, window: 'generic', precision: 'f16' }),
  conv2d_gemm_win3_f16: convGemmWgsl({ dims: 2, window: 'win3', precision: 'f16' }),
  conv2d_gemm_win3s2_f16: convGemmWgsl({ dims: 2, window: 'win3s2', precision: 'f16' }),
} as const;
