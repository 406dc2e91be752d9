import { runExperiments, type Experiment } from './raw.js';
// NCHW conv 3x3 stride 1 pad 1, C->C at HxW. Weights [Cin][KH][KW][Cout] (vec4 over Cout).
const hdr = `struct U { cin: u32, ih: u32, iw: u32, cout: u32, oh: u32, ow: u32, owb: u32, ocb: u32, pad: i32, off: u32, p2: u32, p3: u32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
fn x_at(i: u32) -> f32 { return x[u.off + i]; }
fn xat(row: u32, iw: i32) -> f32 {
  let v = x_at(row + u32(clamp(iw, 0, i32(u.iw) - 1)));
  return select(0.0, v, iw >= 0 && iw < i32(u.iw));
}`;
const K = 3;
type Mode = 'plain' | 'interior' | 'mask';
function gen(TP: number, VOC: number, mode: Mode, C: number, HW: number): Experiment {
  const L: string[] = [hdr, `@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let owb = i % u.owb;
  var t = i / u.owb;
  let oh = t % u.oh;
  let ocb = t / u.oh;
  if (ocb >= u.ocb) { return; }
  let ow0 = owb * ${TP}u;
  let ih0 = i32(oh) - u.pad;
  let iw0 = i32(ow0) - u.pad;
  let cv = u.cout / 4u;`];
  for (let j = 0; j < TP; j++) for (let v = 0; v < VOC; v++) L.push(`  var a${j}_${v} = vec4<f32>(0.0);`);
  const SPAN = TP + K - 1;
  if (mode === 'mask') for (let q = 0; q < SPAN; q++) L.push(`  let c${q} = u32(clamp(iw0 + ${q}, 0, i32(u.iw) - 1)); let m${q} = select(0.0, 1.0, iw0 + ${q} >= 0 && iw0 + ${q} < i32(u.iw));`);
  const body = (fast: boolean) => {
    L.push(`  for (var ic = 0u; ic < u.cin; ic++) {
    let xb = ic * u.ih * u.iw;
    for (var kh = 0u; kh < ${K}u; kh++) {
      let ih = ih0 + i32(kh);
      if (ih < 0 || ih >= i32(u.ih)) { continue; }
      let row = xb + u32(ih) * u.iw;
      let wb = (ic * ${K}u + kh) * ${K}u * cv + ocb * ${VOC}u;`);
    if (mode === 'mask') for (let q = 0; q < SPAN; q++) L.push(`      let x${q} = x_at(row + c${q}) * m${q};`);
    else if (fast) L.push(`      let rw = row + u32(iw0);`);
    for (let kw = 0; kw < K; kw++) {
      for (let v = 0; v < VOC; v++) L.push(`      let w${kw}_${v} = w[wb + ${kw}u * cv + ${v}u];`);
      for (let j = 0; j < TP; j++) {
        let xv: string;
        if (mode === 'mask') xv = `x${j + kw}`;
        else { xv = `x${kw}_${j}`; L.push(`      let x${kw}_${j} = ${fast ? `x_at(rw + ${j + kw}u)` : `xat(row, iw0 + ${j + kw})`};`); }
        for (let v = 0; v < VOC; v++) L.push(`      a${j}_${v} += ${xv} * w${kw}_${v};`);
      }
    }
    L.push('    }\n  }');
  };
  if (mode === 'interior') {
    L.push(`  if (iw0 >= 0 && iw0 + ${SPAN} <= i32(u.iw)) {`);
    body(true);
    L.push('  } else {');
    body(false);
    L.push('  }');
  } else body(false);
  for (let j = 0; j < TP; j++) {
    L.push(`  if (ow0 + ${j}u < u.ow) {`);
    for (let v = 0; v < VOC; v++) for (let q = 0; q < 4; q++) L.push(`    y[((ocb * ${VOC * 4}u + ${v * 4 + q}u) * u.oh + oh) * u.ow + ow0 + ${j}u] = max(a${j}_${v}[${q}], 0.0);`);
    L.push('  }');
  }
  L.push('}');
  const owb = Math.ceil(HW / TP);
  const ocb = C / (4 * VOC);
  const threads = owb * HW * ocb;
  return { name: `${mode} ${TP}px x ${4 * VOC}oc C${C}@${HW}`, wgsl: L.join('\n'), uniforms: [C, HW, HW, C, HW, HW, owb, ocb, 1, 0, 0, 0], buffers: [C * HW * HW, C * 9 * C, C * HW * HW], dispatch: [Math.ceil(threads / 64), 1, 1], flops: 2 * C * C * 9 * HW * HW };
}
const which = process.argv.slice(2);
const all: Experiment[] = [];
for (const [C, HW] of [[64, 56], [256, 14]] as const) all.push(gen(8, 2, 'plain', C, HW), gen(8, 4, 'plain', C, HW), gen(8, 2, 'interior', C, HW), gen(8, 2, 'mask', C, HW), gen(8, 4, 'mask', C, HW), gen(16, 2, 'mask', C, HW));
await runExperiments(all.filter((e) => !which.length || which.some((w) => e.name.includes(w))), 3, 2);
