/** WebGPU Attention (one dispatch, online softmax) vs the CPU reference (the unfused reference kernels in order). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserSession } from '../../../src/node/browser_harness.js';
import { failures, runCases, startTestBrowser, type CaseInput, type NodeCase } from '../../harness/browser.js';
import { mulberry32, randInt } from '../../harness/rng.js';

let session: BrowserSession;
beforeAll(async () => {
  session = await startTestBrowser();
});
afterAll(async () => {
  await session?.close();
});

/** 40 seeded cases: 0-4 batch dims with broadcasting, odd N/M/D/Dv, both K layouts, scale, every bias broadcast. */
function attentionCases(lowering: 'fused' | 'unfused'): NodeCase[] {
  const r = mulberry32(4242);
  const cases: NodeCase[] = [];
  for (let i = 0; i < 40; i++) {
    const rank = randInt(r, 0, 4);
    const batch = Array.from({ length: rank }, () => randInt(r, 1, 4));
    const n = [1, 3, 7, 17, 49, 65][i % 6]!;
    const m = i % 5 === 0 ? n : randInt(r, 1, 70);
    const d = [1, 3, 4, 8, 13, 32, 64][i % 7]!;
    const dv = i % 4 === 0 ? randInt(r, 1, 20) : d;
    const kLayout = i % 2 ? 'k' : 'kt';
    // each operand may broadcast some batch dims (size 1) or drop leading ones
    const thin = (s: number[]) => s.map((x) => (randInt(r, 0, 3) === 0 ? 1 : x)).slice(randInt(r, 0, 1) && s.length ? 1 : 0);
    const q = [...thin(batch), n, d];
    const k = kLayout === 'kt' ? [...thin(batch), d, m] : [...thin(batch), m, d];
    const v = [...thin(batch), m, dv];
    const inputs: CaseInput[] = [{ shape: q }, { shape: k }, { shape: v }];
    const biasKind = i % 4;
    if (biasKind === 1) inputs.push({ shape: [...thin(batch), n, m], kind: 'const', lo: -3, hi: 3 });
    if (biasKind === 2) inputs.push({ shape: [...batch.map(() => 1), 1, m], lo: -100, hi: 0 }); // a runtime key mask
    if (biasKind === 3) inputs.push({ shape: [n, 1], kind: 'const' });
    const scale = i % 3 === 0 ? 1 : 1 / Math.sqrt(d);
    cases.push({
      label: `Attention#${i} batch [${batch}] q [${q}] k [${k}] (${kLayout}) v [${v}]${inputs[3] ? ` bias [${inputs[3].shape}]` : ''} scale ${scale.toFixed(3)}`,
      op: 'Attention',
      attrs: { scale, k_layout: kLayout },
      inputs,
      seed: 5000 + i,
      executor: { attention: lowering },
    });
  }
  return cases;
}

describe('WebGPU Attention vs CPU reference', () => {
  it("fused (one dispatch, online softmax): seeded shapes, biases of every broadcast, masks of -100", async () => {
    const results = await runCases(session, attentionCases('fused'));
    expect(failures(results)).toEqual([]);
    for (const res of results) expect(res.kernels).toEqual([res.label.includes('bias') ? 'attention_bias' : 'attention']);
  });

  it("unfused (SwiftShader's default: [Transpose] MatMul [Mul] [Add] Softmax MatMul): the same cases", async () => {
    const results = await runCases(session, attentionCases('unfused'));
    expect(failures(results)).toEqual([]);
    for (const res of results) {
      expect(res.kernels).toContain('softmax');
      expect(res.kernels.some((k) => k.startsWith('attention'))).toBe(false);
    }
  });
});
