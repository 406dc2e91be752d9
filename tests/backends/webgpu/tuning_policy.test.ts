/** Adapter classes and the hardware tuning policy (device.ts classifyAdapter, tuning_policy.ts, tuneLayers' seeds). */
import { describe, expect, it } from 'vitest';
import { ADAPTER_CLASSES, classifyAdapter } from '../../../src/backends/webgpu/device.js';
import { HARDWARE_MAX_CANDIDATES, SMALL_OUTPUT_POSITIONS, VENDOR_CONV_PREFERENCES, hardwareCandidates, resolvePolicy } from '../../../src/backends/webgpu/tuning_policy.js';
import { collectTunableLayers, tuneLayers, type TunableLayer } from '../../../src/backends/webgpu/autotune_plan.js';
import { CONV_VARIANTS, convVariantsFor, defaultConvVariant, type ConvShape } from '../../../src/backends/webgpu/conv_select.js';
import { inferShapes } from '../../../src/graph/infer.js';
import { GraphBuilder, addConv } from '../../graph/passes/helpers.js';

const shape = (o: Partial<ConvShape>): ConvShape => ({ n: 1, cin: 64, ih: 28, iw: 28, cout: 64, oh: 28, ow: 28, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pads: [1, 1, 1, 1], group: 1, constWeights: true, ...o });

describe('classifyAdapter', () => {
  it.each([
    // Chromium's GPUAdapterInfo strings (vendor architecture device description), Dawn-for-Node descriptions, Mesa.
    ['google swiftshader', false, 'software'],
    ['mesa llvmpipe (LLVM 15.0.7, 256 bits)', false, 'software'],
    ['nvidia ampere', false, 'nvidia'],
    ['NVIDIA H100 80GB HBM3', false, 'nvidia'],
    ['amd rdna-3', false, 'amd'],
    ['AMD Radeon RX 7600 XT (RADV NAVI33)', false, 'amd'],
    ['intel gen-12lp', false, 'intel'],
    ['Intel(R) UHD Graphics 630 (CFL GT2)', false, 'intel'],
    ['apple metal-3', false, 'apple'],
    ['arm valhall', false, 'arm'],
    ['Mali-G715', false, 'arm'],
    ['qualcomm adreno-7xx', false, 'qualcomm'],
    ['Turnip Adreno (TM) 750', false, 'qualcomm'],
    ['0x10de 0x2684', false, 'nvidia'],
    ['imagination powervr', false, 'other'],
    ['', false, 'other'],
    ['nvidia ampere', true, 'software'], // the adapter's own fallback flag wins
  ] as const)('%s (fallback %s) -> %s', (description, fallback, cls) => {
    expect(classifyAdapter(description, fallback)).toBe(cls);
  });

  it('does not read vendor names inside other words', () => {
    expect(classifyAdapter('charming smartphone gpu')).toBe('other'); // 'arm' inside words, 'ati' inside words
    expect(classifyAdapter('quantisation accelerator')).toBe('other');
  });
});

describe('hardware candidates', () => {
  const shapes: ConvShape[] = [
    shape({}), // 3x3 s1: the rule is Winograd
    shape({ kh: 1, kw: 1, pads: [0, 0, 0, 0] }), // pointwise: conv2d_1x1
    shape({ ih: 56, iw: 56, sh: 2, sw: 2 }), // strided 3x3: im2col
    shape({ cin: 3, ih: 224, iw: 224, cout: 32, oh: 112, ow: 112, sh: 2, sw: 2 }), // RGB stem
    shape({ group: 64 }), // depthwise
    shape({ cin: 512, ih: 7, iw: 7, cout: 512, oh: 7, ow: 7 }), // small output
  ];

  it('every family lists only known variant names', () => {
    for (const p of Object.values(VENDOR_CONV_PREFERENCES)) for (const v of [...p.gemm, ...p.smallOutput, ...p.depthwise]) expect(CONV_VARIANTS).toContain(v);
    expect(Object.keys(VENDOR_CONV_PREFERENCES).sort()).toEqual(ADAPTER_CLASSES.filter((c) => c !== 'software').sort());
  });

  it('at most 4 valid candidates with the rule among them; the seed is the family preference', () => {
    for (const cls of ADAPTER_CLASSES) {
      for (const s of shapes) {
        const { candidates, seed } = hardwareCandidates(cls, s);
        const valid = convVariantsFor(s);
        expect(candidates.length).toBeLessThanOrEqual(HARDWARE_MAX_CANDIDATES);
        expect(new Set(candidates).size).toBe(candidates.length);
        for (const v of candidates) expect(valid).toContain(v);
        expect(candidates).toContain(defaultConvVariant(s));
        expect(candidates).toContain(seed);
        expect(candidates).not.toContain('winograd4');
        const family = VENDOR_CONV_PREFERENCES[cls === 'software' ? 'other' : cls];
        const list = s.group === s.cin && s.group > 1 ? family.depthwise : s.oh * s.ow <= SMALL_OUTPUT_POSITIONS ? family.smallOutput : family.gemm;
        expect(seed).toBe(list.find((v) => valid.includes(v)) ?? defaultConvVariant(s));
      }
    }
  });

  it('seeds follow the vendor: workgroup memory on NVIDIA, register tiles on Mali; depthwise keeps its kernel', () => {
    expect(hardwareCandidates('nvidia', shapes[0]!).seed).toBe('conv2d_wgm');
    expect(hardwareCandidates('arm', shapes[0]!).seed).toBe('conv2d_rt4x4');
    expect(hardwareCandidates('nvidia', shapes[4]!)).toEqual({ candidates: ['depthwise_4x4', 'depthwise'], seed: 'depthwise_4x4' });
    expect(hardwareCandidates('nvidia', shapes[5]!).seed).toBe('conv2d_splitk'); // 7x7: small output
    expect(hardwareCandidates('arm', shapes[5]!).seed).toBe('conv2d_rt4x4');
    expect(hardwareCandidates('nvidia', shapes[0]!, 2).candidates).toEqual(['conv2d_wgm', 'winograd']);
  });

  it("'auto' resolves per class", () => {
    expect(resolvePolicy('auto', 'software')).toBe('all');
    expect(resolvePolicy('auto', 'intel')).toBe('hardware');
    expect(resolvePolicy('hardware', 'software')).toBe('hardware');
    expect(resolvePolicy('all', 'nvidia')).toBe('all');
  });

  it('collectTunableLayers takes the policy: seeds are recorded where they differ from the rule', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 16, 16, 16]);
    const y = addConv(b, addConv(b, 'x', 16, 32, 1, { k: 3 }), 32, 32, 2, { k: 1, pads: 0 });
    b.output(y);
    const g = b.build();
    const layers = collectTunableLayers(g, inferShapes(g), (s) => hardwareCandidates('nvidia', s));
    expect(layers.length).toBe(2);
    for (const l of layers) {
      expect(l.seed).toBe('conv2d_wgm');
      expect(l.candidates).toContain(l.rule);
    }
  });
});

describe('tuneLayers with seeds', () => {
  const base = shape({});
  const layer = (key: string, macs: number, seed?: 'conv2d_wgm'): TunableLayer => ({
    key,
    macs,
    count: 1,
    node: undefined as never,
    shape: base,
    candidates: ['winograd', 'conv2d_wgm'],
    rule: 'winograd',
    ...(seed ? { seed } : {}),
  });

  it('the seed is the incumbent: a rule faster by less than the margin does not replace it', async () => {
    const r = await tuneLayers([layer('a', 1, 'conv2d_wgm')], async () => ({ winograd: 9.8, conv2d_wgm: 10 }), { budgetMs: 1e9 });
    expect(r.table.choices).toEqual({ a: 'conv2d_wgm' });
    const rejected = await tuneLayers([layer('a', 1, 'conv2d_wgm')], async () => ({ winograd: 9.8 }), { budgetMs: 1e9 });
    expect(rejected.table.choices).toEqual({ a: 'winograd' }); // the seed was rejected or failed: the rule
  });

  it('finishWithin skips a layer the longest so far would push past the budget; skipped layers keep their seed', async () => {
    let clock = 0;
    const order: string[] = [];
    const r = await tuneLayers(
      [layer('big', 100, 'conv2d_wgm'), layer('mid', 10, 'conv2d_wgm'), layer('small', 1)],
      async (l) => {
        order.push(l.key);
        clock += 40;
        return { winograd: 5, conv2d_wgm: 1 };
      },
      { budgetMs: 70, now: () => clock, finishWithin: true },
    );
    expect(order).toEqual(['big']); // 'mid' would start at 40 and end near 80 > 70
    expect(r.skipped).toBe(2);
    expect(r.table.choices).toEqual({ big: 'conv2d_wgm', mid: 'conv2d_wgm' }); // 'small' has no seed: the rule
    expect(r.ms).toBeLessThanOrEqual(70);
  });
});
