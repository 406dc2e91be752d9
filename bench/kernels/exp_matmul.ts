import { runExperiments, type Experiment } from './raw.js';
const M = 512, N = 512, K = 512;
const hdr = `struct U { m: u32, n: u32, k: u32, pad: u32 }
@group(0) @binding(0) var<uniform> u: U;`;

// Contiguous tile: TM rows x (4*VN) cols, B as vec4, A scalar. threads laid out: x along N blocks.
function contiguous(TM: number, VN: number): Experiment {
  const lines: string[] = [hdr, `@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> c: array<vec4<f32>>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let nb = u.n / ${4 * VN}u;
  let t = gid.x;
  let col = (t % nb) * ${VN}u;
  let row = (t / nb) * ${TM}u;
  if (row >= u.m) { return; }
  let nv = u.n / 4u;`];
  for (let i = 0; i < TM; i++) for (let j = 0; j < VN; j++) lines.push(`  var c${i}_${j} = vec4<f32>(0.0);`);
  lines.push(`  for (var k = 0u; k < u.k; k++) {`);
  for (let j = 0; j < VN; j++) lines.push(`    let b${j} = b[k * nv + col + ${j}u];`);
  for (let i = 0; i < TM; i++) {
    lines.push(`    let a${i} = a[(row + ${i}u) * u.k + k];`);
    for (let j = 0; j < VN; j++) lines.push(`    c${i}_${j} += a${i} * b${j};`);
  }
  lines.push('  }');
  for (let i = 0; i < TM; i++) for (let j = 0; j < VN; j++) lines.push(`  c[(row + ${i}u) * nv + col + ${j}u] = c${i}_${j};`);
  lines.push('}');
  const threads = (M / TM) * (N / (4 * VN));
  return { name: `contig ${TM}x${4 * VN}`, wgsl: lines.join('\n'), uniforms: [M, N, K, 0], buffers: [M * K, K * N, M * N], dispatch: [threads / 64, 1, 1], flops: 2 * M * N * K };
}

// Lane-sequential: thread owns TM rows x TN cols where col = cb*64*? ... cols strided by the workgroup width so consecutive threads read consecutive floats.
function strided(TM: number, TN: number): Experiment {
  const W = 64; // threads along N in a workgroup
  const lines: string[] = [hdr, `@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@compute @workgroup_size(${W})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let nb = u.n / ${W * TN}u;
  let col = (wid.x % nb) * ${W * TN}u + lid;
  let row = (wid.x / nb) * ${TM}u;`];
  for (let i = 0; i < TM; i++) for (let j = 0; j < TN; j++) lines.push(`  var c${i}_${j} = 0.0;`);
  lines.push(`  for (var k = 0u; k < u.k; k++) {`);
  for (let j = 0; j < TN; j++) lines.push(`    let b${j} = b[k * u.n + col + ${j * W}u];`);
  for (let i = 0; i < TM; i++) {
    lines.push(`    let a${i} = a[(row + ${i}u) * u.k + k];`);
    for (let j = 0; j < TN; j++) lines.push(`    c${i}_${j} += a${i} * b${j};`);
  }
  lines.push('  }');
  for (let i = 0; i < TM; i++) for (let j = 0; j < TN; j++) lines.push(`  c[(row + ${i}u) * u.n + col + ${j * W}u] = c${i}_${j};`);
  lines.push('}');
  const groups = (M / TM) * (N / (W * TN));
  return { name: `strided ${TM}x${TN} (W${W})`, wgsl: lines.join('\n'), uniforms: [M, N, K, 0], buffers: [M * K, K * N, M * N], dispatch: [groups, 1, 1], flops: 2 * M * N * K };
}

// Strided with A transposed (a^T: [K][M]) as vec4: rows loaded as vec4 (same address across lanes).
function stridedAT(TMV: number, TN: number): Experiment {
  const W = 64;
  const lines: string[] = [hdr, `@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@compute @workgroup_size(${W})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let nb = u.n / ${W * TN}u;
  let col = (wid.x % nb) * ${W * TN}u + lid;
  let rowv = (wid.x / nb) * ${TMV}u;
  let mv = u.m / 4u;`];
  for (let i = 0; i < TMV; i++) for (let j = 0; j < TN; j++) lines.push(`  var c${i}_${j} = vec4<f32>(0.0);`);
  lines.push(`  for (var k = 0u; k < u.k; k++) {`);
  for (let j = 0; j < TN; j++) lines.push(`    let b${j} = b[k * u.n + col + ${j * W}u];`);
  for (let i = 0; i < TMV; i++) {
    lines.push(`    let a${i} = a[k * mv + rowv + ${i}u];`);
    for (let j = 0; j < TN; j++) lines.push(`    c${i}_${j} += a${i} * b${j};`);
  }
  lines.push('  }');
  for (let i = 0; i < TMV; i++) for (let j = 0; j < TN; j++) for (let q = 0; q < 4; q++) lines.push(`  c[((rowv + ${i}u) * 4u + ${q}u) * u.n + col + ${j * W}u] = c${i}_${j}[${q}];`);
  lines.push('}');
  const groups = (M / (4 * TMV)) * (N / (W * TN));
  return { name: `stridedAT ${4 * TMV}x${TN}`, wgsl: lines.join('\n'), uniforms: [M, N, K, 0], buffers: [M * K, K * N, M * N], dispatch: [groups, 1, 1], flops: 2 * M * N * K };
}

const which = process.argv.slice(2);
const all: Experiment[] = [contiguous(16, 2), contiguous(8, 4), contiguous(16, 4), contiguous(32, 2), contiguous(24, 2)];
await runExperiments(all.filter((e) => !which.length || which.some((w) => e.name.includes(w))), 2, 2);
