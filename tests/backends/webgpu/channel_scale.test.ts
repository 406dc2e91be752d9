/**
 * ChannelScale / ChannelScaleConv (the fused Squeeze-and-Excitation scale) on WebGPU in Chromium vs the CPU
 * reference, and the SE zoo fixtures end to end: after optimize() no Mul is left, the profile shows no Mul dispatch,
 * and the output still matches PyTorch.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { writeTessera } from '../../../src/format/writer.js';
import { optimize } from '../../../src/graph/passes/index.js';
import { importOnnx } from '../../../src/import/onnx/index.js';
import { loadCase, relativeL2 } from '../../../tools/zoo/zoo_lib.js';
import { runInPage } from '../../../tools/zoo/webgpu_lib.js';
import { failures, runCases, startTestBrowser, type NodeCase } from '../../harness/browser.js';
import { perFile } from '../../harness/per_file.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'zoo');

const session = perFile(startTestBrowser);

describe('WebGPU ChannelScale vs CPU reference', () => {
  it('scale, residual before / after the activation, broadcast scales', async () => {
    const cases: NodeCase[] = [
      { label: 'plain [2,8,5,7] x [2,8,1,1]', op: 'ChannelScale', inputs: [{ shape: [2, 8, 5, 7] }, { shape: [2, 8, 1, 1], lo: 0, hi: 1 }], seed: 1 },
      {
        label: 'SE-ResNet relu(x*s + r)',
        op: 'ChannelScale',
        attrs: { activation: 'relu' },
        inputs: [{ shape: [1, 16, 9, 9] }, { shape: [1, 16, 1, 1], lo: 0, hi: 1 }, { shape: [1, 16, 9, 9] }],
        seed: 2,
      },
      {
        label: 'hard_sigmoid(x*s) + r',
        op: 'ChannelScale',
        attrs: { activation: 'hard_sigmoid', act_alpha: 0.3, act_beta: 0.4, residual_after_activation: 1 },
        inputs: [{ shape: [2, 3, 4, 4] }, { shape: [2, 3, 1, 1] }, { shape: [2, 3, 4, 4] }],
        seed: 3,
      },
      { label: 'scale shared over the batch [1,C,1,1]', op: 'ChannelScale', attrs: { activation: 'clip', act_min: -0.5, act_max: 0.5 }, inputs: [{ shape: [3, 5, 2, 3] }, { shape: [1, 5, 1, 1] }], seed: 4 },
      { label: 'right-aligned [C,1,1], constant S', op: 'ChannelScale', inputs: [{ shape: [2, 6, 3, 3] }, { shape: [6, 1, 1], kind: 'const' }], seed: 5 },
      { label: '3-D activations [N,C,L]', op: 'ChannelScale', attrs: { activation: 'tanh' }, inputs: [{ shape: [2, 4, 11] }, { shape: [2, 4, 1] }], seed: 6 },
    ];
    const results = await runCases(session(), cases);
    expect(results).toHaveLength(cases.length);
    expect(failures(results)).toEqual([]);
    expect(new Set(results.flatMap((r) => r.kernels))).toEqual(new Set(['channel_scale', 'channel_scale_res']));
  });

  it('ChannelScaleConv: the 1x1 conv scaling its input channels as it reads them', async () => {
    const conv = (n: number, cin: number, cout: number, h: number, w: number, extra: Partial<NodeCase> & { seed: number; label: string }): NodeCase => ({
      op: 'ChannelScaleConv',
      attrs: { kernel_shape: [1, 1], activation: 'none', ...(extra.attrs ?? {}) },
      inputs: extra.inputs ?? [
        { shape: [n, cin, h, w] },
        { shape: [cout, cin, 1, 1], kind: 'const' },
        { shape: [cout], kind: 'const' },
        { shape: [], absent: true },
        { shape: [n, cin, 1, 1], lo: 0, hi: 1 },
      ],
      ...extra,
    });
    const cases: NodeCase[] = [
      conv(1, 16, 8, 8, 8, { label: 'GhostNet-like, H*W % 4 == 0 (vec4 loads)', seed: 10 }),
      conv(2, 12, 20, 5, 3, { label: 'batch 2, H*W odd (scalar loads), C_out not a multiple of 8', seed: 11 }),
      conv(2, 8, 8, 4, 4, {
        label: 'with residual and relu epilogue',
        seed: 12,
        attrs: { activation: 'relu' },
        inputs: [
          { shape: [2, 8, 4, 4] },
          { shape: [8, 8, 1, 1], kind: 'const' },
          { shape: [], absent: true },
          { shape: [2, 8, 4, 4] },
          { shape: [1, 8, 1, 1], lo: 0, hi: 1 },
        ],
      }),
    ];
    const results = await runCases(session(), cases);
    expect(failures(results)).toEqual([]);
    expect(results.flatMap((r) => r.kernels).every((k) => k.startsWith('conv2d_1x1_scaled'))).toBe(true);
  });
});

describe('SE zoo fixtures on WebGPU: the channel scale costs no dispatch of its own', () => {
  for (const name of ['se-resnet8-cifar', 'ghostnet-0.2x-cifar']) {
    it(name, async () => {
      const c = loadCase(join(FIXTURES, name));
      const imported = importOnnx(c.modelBytes);
      const graph = optimize(imported);
      const unfused = optimize(imported, { fuseChannelScale: false });
      const muls = unfused.nodes.filter((n) => n.op === 'Mul').length;
      expect(muls).toBeGreaterThan(0); // the fixture has SE gates
      expect(graph.nodes.filter((n) => n.op === 'Mul')).toEqual([]);
      const r = await runInPage(session(), writeTessera(graph), c.input, { runs: 1, profile: true });
      expect(r.backend).toBe('webgpu');
      expect(relativeL2({ dtype: 'f32', shape: r.shape, data: r.data }, c.expected)).toBeLessThanOrEqual(1e-4);
      const rows = r.profile!;
      expect(rows.filter((row) => row.op === 'Mul')).toEqual([]);
      const fusedRows = rows.filter((row) => row.op === 'ChannelScale' || row.op === 'ChannelScaleConv');
      expect(fusedRows).toHaveLength(muls); // one row per SE gate, none extra
      if (name.startsWith('se-resnet')) {
        expect(fusedRows.every((row) => row.kernel === 'channel_scale_res')).toBe(true); // Add + ReLU absorbed
        expect(rows.filter((row) => row.op === 'Add' || row.op === 'Relu')).toEqual([]);
        // Before: Mul + Add + Relu per identity block; after: one ChannelScale.
        const before = await runInPage(session(), writeTessera(unfused), c.input, { runs: 1, profile: true });
        expect(before.profile!.filter((row) => row.op === 'Mul')).toHaveLength(muls);
        expect(rows.length).toBeLessThan(before.profile!.length);
      } else {
        expect(fusedRows.every((row) => row.op === 'ChannelScaleConv' && row.kernel.startsWith('conv2d_1x1_scaled'))).toBe(true);
      }
    });
  }
});
