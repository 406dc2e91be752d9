import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserSession } from '../../../src/node/browser_harness.js';
import { failures, runCases, startTestBrowser, type NodeCase } from '../../harness/browser.js';
import { mulberry32, randInt } from '../../harness/rng.js';

let session: BrowserSession;
beforeAll(async () => {
  session = await startTestBrowser();
});
afterAll(async () => {
  await session?.close();
});

describe('WebGPU LayerNormalization vs CPU reference', () => {
  it('seeded shapes: rows shorter and longer than a workgroup, 1-3 normalised dims, Scale/B of one element, no B, offset rows', async () => {
    const r = mulberry32(1701);
    const cases: NodeCase[] = [];
    for (let i = 0; i < 24; i++) {
      const rank = randInt(r, 1, 4);
      const shape = Array.from({ length: rank }, () => randInt(r, 1, 6));
      shape[rank - 1] = [1, 3, 16, 63, 64, 65, 200, 768][i % 8]!;
      const axis = -randInt(r, 1, Math.min(rank, 3));
      const normalized = shape.slice(shape.length + axis);
      const paramShape = i % 6 === 5 ? [1] : i % 6 === 4 ? [1, ...normalized] : normalized;
      const withBias = i % 5 !== 3;
      const offset = i % 4 === 2 ? 50 : 0; // a large common offset: the two-pass variance matters
      cases.push({
        label: `LayerNorm#${i} [${shape}] axis ${axis} params [${paramShape}]${withBias ? '' : ' no B'}${offset ? ' +50' : ''}`,
        op: 'LayerNormalization',
        attrs: { axis, epsilon: i % 3 ? 1e-5 : 1e-3 },
        inputs: [
          { shape, lo: offset - 2, hi: offset + 2 },
          { shape: paramShape, kind: 'const', lo: 0.5, hi: 1.5 },
          withBias ? { shape: paramShape, kind: 'const' } : { shape: [], absent: true },
        ],
        seed: 1800 + i,
      });
    }
    expect(failures(await runCases(session, cases))).toEqual([]);
  });
});

describe('WebGPU ChannelLayerNorm vs CPU reference', () => {
  it('seeded NCHW / NCDHW / NCL shapes: odd channel counts, one-element params, no B, offset values', async () => {
    const r = mulberry32(1702);
    const cases: NodeCase[] = [];
    for (let i = 0; i < 16; i++) {
      const spatial = Array.from({ length: randInt(r, 1, 3) }, () => randInt(r, 1, 9));
      const c = [1, 3, 16, 37, 96, 192][i % 6]!;
      const shape = [randInt(r, 1, 2), c, ...spatial];
      const paramShape = i % 5 === 4 ? [1] : [c];
      const withBias = i % 4 !== 3;
      const offset = i % 3 === 2 ? 30 : 0;
      cases.push({
        label: `ChannelLayerNorm#${i} [${shape}] params [${paramShape}]${withBias ? '' : ' no B'}${offset ? ' +30' : ''}`,
        op: 'ChannelLayerNorm',
        attrs: { epsilon: i % 2 ? 1e-6 : 1e-5 },
        inputs: [
          { shape, lo: offset - 2, hi: offset + 2 },
          { shape: paramShape, kind: 'const', lo: 0.5, hi: 1.5 },
          withBias ? { shape: paramShape, kind: 'const' } : { shape: [], absent: true },
        ],
        seed: 1900 + i,
      });
    }
    expect(failures(await runCases(session, cases))).toEqual([]);
  });
});
