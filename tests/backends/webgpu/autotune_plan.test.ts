/** Autotuning's GPU-free parts (src/backends/webgpu/autotune_plan.ts): signatures, ranking, proxies, budget, tables, keys. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  TESSERA_VERSION,
  TUNING_TABLE_VERSION,
  collectTunableLayers,
  convSignature,
  defaultBudgetMs,
  mergeTables,
  modelSignature,
  pickFastest,
  proxyShape,
  rankLayers,
  sanitizeTable,
  tableChooser,
  tuneLayers,
  tunedCandidates,
  tuningKeyText,
  type AdapterSignature,
  type TunableLayer,
} from '../../../src/backends/webgpu/autotune_plan.js';
import { REAL_GPU_CONV_VARIANTS, convVariantsFor, defaultConvVariant, type ConvShape } from '../../../src/backends/webgpu/conv_select.js';
import { inferShapes } from '../../../src/graph/infer.js';
import type { Graph } from '../../../src/graph/ir.js';
import { mulberry32, randInt } from '../../harness/rng.js';
import { optimize } from '../../../src/graph/passes/index.js';
import { GraphBuilder, addBn, addConv } from '../../graph/passes/helpers.js';

const base: ConvShape = { n: 1, cin: 64, ih: 56, iw: 56, cout: 64, oh: 56, ow: 56, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pads: [1, 1, 1, 1], group: 1, constWeights: true };
const outRows = (s: ConvShape) => Math.floor((s.ih + s.pads[0] + s.pads[2] - (s.kh - 1) * s.dh - 1) / s.sh) + 1;

function model(convs: { cin: number; cout: number; k: number; s: number; group?: number }[], c0 = 8, h = 16): Graph {
  const b = new GraphBuilder();
  b.input('x', 'f32', [1, c0, h, h]);
  let x = 'x';
  convs.forEach((c, i) => (x = addConv(b, x, c.cin, c.cout, i + 1, { k: c.k, strides: c.s, group: c.group })));
  b.output(x);
  return b.build();
}

describe('convSignature', () => {
  it('is equal for equal shapes and differs in every field', () => {
    expect(convSignature({ ...base, pads: [1, 1, 1, 1] })).toBe(convSignature(base));
    const variants: Partial<ConvShape>[] = [{ n: 2 }, { cin: 32 }, { ih: 57 }, { iw: 57 }, { cout: 32 }, { oh: 28 }, { ow: 28 }, { kh: 1 }, { kw: 1 }, { sh: 2 }, { sw: 2 }, { dh: 2 }, { dw: 2 }, { pads: [0, 1, 1, 1] }, { group: 2 }, { constWeights: false }];
    const keys = new Set(variants.map((v) => convSignature({ ...base, ...v })));
    expect(keys.size).toBe(variants.length);
    expect(keys.has(convSignature(base))).toBe(false);
  });
});

describe('collectTunableLayers', () => {
  it('merges equal signatures, sums their MACs, ranks by MACs and skips layers without a choice', () => {
    const g = model([
      { cin: 8, cout: 8, k: 3, s: 1 },
      { cin: 8, cout: 8, k: 3, s: 1 }, // same signature as the first
      { cin: 8, cout: 16, k: 3, s: 2 },
      { cin: 16, cout: 16, k: 3, s: 1, group: 16 }, // depthwise: its own kernel or the (grouped) GEMMs
      { cin: 16, cout: 32, k: 1, s: 1 },
    ]);
    const layers = collectTunableLayers(g, inferShapes(g));
    expect(layers.map((l) => l.count).sort()).toEqual([1, 1, 1, 2]);
    const same = layers.find((l) => l.count === 2)!;
    expect(same.macs).toBe(2 * 8 * 16 * 16 * 8 * 9);
    expect(same.rule).toBe(defaultConvVariant(same.shape));
    for (const l of layers) {
      expect(l.candidates.length).toBeGreaterThan(1);
      expect(l.candidates).not.toContain('conv2d_direct'); // the fallback is not timed where another variant exists
      for (const v of l.candidates) expect(convVariantsFor(l.shape)).toContain(v);
      expect(l.candidates).toContain(l.rule);
    }
    for (let i = 1; i < layers.length; i++) expect(layers[i - 1]!.macs).toBeGreaterThanOrEqual(layers[i]!.macs);
    expect(layers.find((l) => l.shape.group === 16)!.candidates).toContain('depthwise');
  });

  it('tunes a BatchNormConv (BN + ReLU folded into a 1x1 conv) as the plain conv it wraps', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 16, 8, 8]);
    const h = b.node('Relu', [addBn(b, 'x', 16, 3, 'bn')], {}, 'act');
    b.output(addConv(b, h, 16, 32, 4, { k: 1, pads: 0, name: 'c1' }));
    const g = optimize(b.build());
    expect(g.nodes.map((n) => n.op)).toEqual(['BatchNormConv']);
    const layers = collectTunableLayers(g, inferShapes(g));
    expect(layers).toHaveLength(1);
    expect(layers[0]!.node.op).toBe('FusedConv');
    expect(layers[0]!.node.inputs).toHaveLength(4);
    expect(layers[0]!.shape).toMatchObject({ n: 1, cin: 16, cout: 32, kh: 1, kw: 1, ih: 8, iw: 8, pads: [0, 0, 0, 0] });
  });

  it('skips a conv whose weights are a runtime input (conv2d_direct is its only kernel)', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 4, 8, 8]);
    b.input('w', 'f32', [4, 4, 3, 3]);
    b.output(b.node('Conv', ['x', 'w'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }));
    const g = b.build();
    expect(collectTunableLayers(g, inferShapes(g))).toEqual([]);
  });

  it('rankLayers breaks MAC ties by key, so the order is stable', () => {
    const mk = (key: string, macs: number) => ({ key, macs }) as TunableLayer;
    expect(rankLayers([mk('b', 5), mk('a', 5), mk('c', 9)]).map((l) => l.key)).toEqual(['c', 'a', 'b']);
  });
});

describe('proxyShape', () => {
  it('keeps channels, kernel, stride, pads and width, crops rows consistently (seeded random shapes)', () => {
    const r = mulberry32(17);
    for (let i = 0; i < 300; i++) {
      const kh = randInt(r, 1, 7);
      const sh = randInt(r, 1, 3);
      const dh = randInt(r, 1, 2);
      const p0 = randInt(r, 0, kh - 1);
      const p2 = randInt(r, 0, kh - 1);
      const ih = randInt(r, 8, 120);
      const s: ConvShape = { ...base, cin: randInt(r, 1, 64), cout: randInt(r, 1, 64), ih, iw: randInt(r, 1, 40), kh, sh, dh, pads: [p0, 1, p2, 1] };
      s.oh = outRows(s);
      s.ow = randInt(r, 1, 40);
      if (s.oh < 1) continue;
      const p = proxyShape(s, randInt(r, 1, 2e5));
      expect({ ...p, ih: 0, oh: 0 }).toEqual({ ...s, ih: 0, oh: 0 });
      expect(p.oh).toBeLessThanOrEqual(s.oh);
      expect(p.ih).toBeLessThanOrEqual(s.ih);
      expect(outRows(p)).toBe(p.oh); // the conv formula gives back the proxy's rows
      if (p.oh < s.oh) expect(p.oh).toBeGreaterThanOrEqual(2);
      expect((p.oh * p.ow) % 4 === 0).toBe((s.oh * s.ow) % 4 === 0); // pointwise vec4 loads unchanged
    }
  });

  it('crops a big layer to about the target and leaves a small one whole', () => {
    const p = proxyShape(base, 2e6);
    expect(p.oh).toBeLessThan(base.oh);
    const perRow = 64 * 64 * 9 * 56;
    expect(p.oh * perRow).toBeGreaterThanOrEqual(2e6);
    expect((p.oh - 2) * perRow).toBeLessThan(2e6);
    expect(proxyShape(base, 1e12)).toEqual(base);
  });
});

describe('pickFastest', () => {
  it('keeps the rule within the margin, takes a clearly faster variant, ignores missing or bad times', () => {
    expect(pickFastest('conv2d_gemm', { conv2d_gemm: 10, conv2d_gemm4: 9.7 })).toBe('conv2d_gemm');
    expect(pickFastest('conv2d_gemm', { conv2d_gemm: 10, conv2d_gemm4: 9 })).toBe('conv2d_gemm4');
    expect(pickFastest('conv2d_gemm', { conv2d_gemm: 10, conv2d_gemm4: 9 }, 0.2)).toBe('conv2d_gemm');
    expect(pickFastest('conv2d_gemm', { conv2d_gemm: 10, winograd: Number.NaN, conv2d_gemm4: -1 })).toBe('conv2d_gemm');
    expect(pickFastest('conv2d_gemm', { conv2d_gemm4: 12, winograd: 11 })).toBe('winograd'); // rule failed: fastest
    expect(pickFastest('conv2d_gemm', {})).toBe('conv2d_gemm');
  });
});

describe('tuneLayers', () => {
  const layer = (key: string, macs: number): TunableLayer => ({ key, macs, count: 1, node: undefined as never, shape: base, candidates: ['conv2d_gemm', 'winograd'], rule: 'conv2d_gemm' });

  it('measures biggest first and stops starting layers when the budget is spent', async () => {
    let clock = 0;
    const order: string[] = [];
    const result = await tuneLayers(
      [layer('small', 1), layer('big', 100), layer('mid', 10)],
      async (l) => {
        order.push(l.key);
        clock += 40; // each layer costs 40 ms of the fake clock
        return l.key === 'big' ? { conv2d_gemm: 5, winograd: 2 } : { conv2d_gemm: 5, winograd: 4.9 };
      },
      { budgetMs: 50, now: () => clock },
    );
    expect(order).toEqual(['big', 'mid']); // 'mid' starts at 40 < 50; 'small' would start at 80
    expect(result.skipped).toBe(1);
    expect(result.table.choices).toEqual({ big: 'winograd', mid: 'conv2d_gemm' });
    expect(result.table.measured).toBe(2);
    expect(result.ms).toBe(80);
  });

  it('a zero budget measures nothing', async () => {
    const result = await tuneLayers([layer('a', 1)], async () => ({}), { budgetMs: 0, now: () => 0 });
    expect(result.layers).toEqual([]);
    expect(result.skipped).toBe(1);
  });

  it('defaultBudgetMs grows with the model and is capped', () => {
    expect(defaultBudgetMs(4e7)).toBeLessThan(defaultBudgetMs(1.8e9));
    expect(defaultBudgetMs(1e12)).toBe(3000);
    expect(defaultBudgetMs(0)).toBe(500);
  });
});

describe('tables', () => {
  it('sanitizeTable drops unknown variant names and rejects other layouts', () => {
    const t = sanitizeTable({ version: TUNING_TABLE_VERSION, choices: { a: 'conv2d_gemm', b: 'conv2d_future', c: 3 }, ms: 12, extra: 1 });
    expect(t).toEqual({ version: TUNING_TABLE_VERSION, choices: { a: 'conv2d_gemm' }, ms: 12 });
    for (const bad of [undefined, null, 3, 'x', [], { version: 999, choices: {} }, { version: TUNING_TABLE_VERSION }, { version: TUNING_TABLE_VERSION, choices: [] }]) expect(sanitizeTable(bad)).toBeUndefined();
  });

  it('mergeTables: the update wins, the rest of the base stays', () => {
    const m = mergeTables({ version: 1, choices: { a: 'conv2d_gemm', b: 'conv2d_gemm4' } }, { version: 1, choices: { b: 'winograd' } });
    expect(m.choices).toEqual({ a: 'conv2d_gemm', b: 'winograd' });
    expect(mergeTables(undefined, { version: 1, choices: { c: 'conv2d_1x1' } }).choices).toEqual({ c: 'conv2d_1x1' });
  });

  it('tableChooser answers per signature', () => {
    const choose = tableChooser({ version: 1, choices: { [convSignature(base)]: 'winograd' } });
    expect(choose(base)).toBe('winograd');
    expect(choose({ ...base, cin: 32 })).toBeUndefined();
  });
});

describe('cache keys', () => {
  const adapter: AdapterSignature = { vendor: 'google', architecture: 'swiftshader', device: '', description: 'navigator: x', features: ['timestampQuery', 'subgroups'], limits: { a: 1, b: 2 } };

  it('are stable under ordering and change with adapter, version, kernels and model', () => {
    const k = tuningKeyText(adapter, 'K', 'M');
    expect(tuningKeyText({ ...adapter, features: ['subgroups', 'timestampQuery'], limits: { b: 2, a: 1 } }, 'K', 'M')).toBe(k);
    const others = [
      tuningKeyText({ ...adapter, vendor: 'nvidia' }, 'K', 'M'),
      tuningKeyText({ ...adapter, architecture: 'ampere' }, 'K', 'M'),
      tuningKeyText({ ...adapter, device: 'd' }, 'K', 'M'),
      tuningKeyText({ ...adapter, description: 'dawn-node: x' }, 'K', 'M'),
      tuningKeyText({ ...adapter, limits: { a: 1, b: 3 } }, 'K', 'M'),
      tuningKeyText({ ...adapter, features: ['subgroups'] }, 'K', 'M'),
      tuningKeyText(adapter, 'K2', 'M'),
      tuningKeyText(adapter, 'K', 'M2'),
      tuningKeyText(adapter, 'K', 'M', '9.9.9'),
    ];
    expect(new Set([k, ...others]).size).toBe(others.length + 1);
  });

  it('modelSignature ignores names and weight values, not shapes or attributes', () => {
    const g = model([{ cin: 8, cout: 8, k: 3, s: 1 }, { cin: 8, cout: 16, k: 1, s: 1 }]);
    const sig = (x: Graph) => modelSignature(x, inferShapes(x));
    const renamed: Graph = {
      ...g,
      nodes: g.nodes.map((n) => ({ ...n, name: `${n.name}_r`, inputs: n.inputs.map((i) => (i === 'x' ? 'x' : `${i}_r`)), outputs: n.outputs.map((o) => `${o}_r`) })),
      initializers: new Map([...g.initializers].map(([k, t]) => [`${k}_r`, { ...t, data: (t.data as Float32Array).map((v) => v * 2) }])),
      outputs: g.outputs.map((o) => ({ ...o, name: `${o.name}_r` })),
    };
    expect(sig(renamed)).toBe(sig(g));
    expect(sig(model([{ cin: 8, cout: 8, k: 3, s: 1 }, { cin: 8, cout: 16, k: 1, s: 1 }], 8, 32))).not.toBe(sig(g));
    const otherPads: Graph = { ...g, nodes: g.nodes.map((n, i) => (i === 0 ? { ...n, attrs: { ...n.attrs, pads: [0, 0, 0, 0] } } : n)) };
    expect(sig(otherPads)).not.toBe(sig(g));
  });

  it('TESSERA_VERSION matches package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(TESSERA_VERSION).toBe(pkg.version);
  });
});

describe('tunedCandidates on a software adapter', () => {
  it('leaves the real-GPU variants out (they lose on every SwiftShader layer measured)', () => {
    const s: ConvShape = { n: 1, cin: 64, ih: 56, iw: 56, cout: 64, oh: 56, ow: 56, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pads: [1, 1, 1, 1], group: 1, constWeights: true };
    const hw = tunedCandidates(s);
    const sw = tunedCandidates(s, true);
    // Those listed for this layer (depthwise_4x4 and conv2d_splitk are listed for channelwise / small-output layers).
    for (const v of REAL_GPU_CONV_VARIANTS.filter((x) => convVariantsFor(s).includes(x))) {
      expect(hw).toContain(v);
      expect(sw).not.toContain(v);
    }
    expect(sw.length).toBeGreaterThan(1);
  });
});
