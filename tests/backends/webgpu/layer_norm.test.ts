import { describe, expect, it } from 'vitest';
import { failures, runCases, startTestBrowser, type NodeCase } from '../../harness/browser.js';
import { perFile } from '../../harness/per_file.js';
import { mulberry32 } from '../../harness/rng.js';
import { channelLayerNormCase, layerNormCase } from '../../harness/norm_cases.js';

const session = perFile(startTestBrowser);

describe('WebGPU LayerNormalization vs CPU reference', () => {
  it('seeded shapes: rows shorter and longer than a workgroup, 1-3 normalised dims, Scale/B of one element, no B, offset rows', async () => {
    const r = mulberry32(1701);
    const cases: NodeCase[] = [];
    for (let i = 0; i < 24; i++) cases.push(layerNormCase(r, i, () => [1, 3, 16, 63, 64, 65, 200, 768][i % 8]!, 1800 + i));
    expect(failures(await runCases(session(), cases))).toEqual([]);
  });
});

describe('WebGPU ChannelLayerNorm vs CPU reference', () => {
  it('seeded NCHW / NCDHW / NCL shapes: odd channel counts, one-element params, no B, offset values', async () => {
    const r = mulberry32(1702);
    const cases: NodeCase[] = [];
    for (let i = 0; i < 16; i++) cases.push(channelLayerNormCase(r, i, () => [1, 3, 16, 37, 96, 192][i % 6]!, 9, 1900 + i));
    expect(failures(await runCases(session(), cases))).toEqual([]);
  });
});
