/**
 * What the passes make of the modern families (tests/fixtures/modern, opsets 14 and 17): one Attention node per
 * attention layer in ViT, Swin (its shifted-window mask folded), MaxViT (block and grid attention) and MViT-V1 (pooled
 * attention; MViT-V2's relative-position ScatterND keeps its layers unfused, see below), no Transpose
 * left in ConvNeXt (channels-last islands run in NCHW), no Erf left anywhere (GELU fused), and LayerNorm as one op
 * (opset 14 exports it decomposed).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { optimize } from '../../src/graph/passes/index.js';
import { importOnnx } from '../../src/import/onnx/index.js';
import { caseDirs, loadCase } from '../../tools/zoo/zoo_lib.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'modern');
const cases = caseDirs(FIXTURES).map((d) => loadCase(d));

const count = (ops: string[], op: string) => ops.filter((o) => o === op).length;
const softmaxesInOnnx = (bytes: Uint8Array) => count(importOnnx(bytes).nodes.map((n) => n.op), 'Softmax');

describe('modern families after optimize()', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (name, c) => {
    const ops = optimize(importOnnx(c.modelBytes)).nodes.map((n) => n.op);
    expect(count(ops, 'Erf')).toBe(0);
    expect(count(ops, 'ReduceMean')).toBe(0); // decomposed LayerNorm (opset 14) fused
    if (name.startsWith('convnext')) {
      expect(count(ops, 'Transpose')).toBe(0);
      expect(count(ops, 'ChannelLayerNorm')).toBeGreaterThan(0);
    } else if (name.startsWith('mvitv2')) {
      // Not fused, and said so: MViT-V2 adds its relative-position term to the token block of the scores with a
      // ScatterND (`attn[:, :, 1:, 1:] += rel_pos`, the class token's row and column left out) between Q·Kᵀ and
      // Softmax, a shape fuseAttention does not match; the scores are materialised (4 ScatterNDs a layer after import).
      const layers = softmaxesInOnnx(c.modelBytes);
      expect(count(ops, 'Softmax')).toBe(layers);
      expect(count(ops, 'ScatterND')).toBe(4 * layers);
    } else {
      // every attention softmax of the imported model became part of one Attention node
      const layers = softmaxesInOnnx(c.modelBytes);
      expect(layers).toBeGreaterThan(0);
      expect(count(ops, 'Attention')).toBe(layers);
      expect(count(ops, 'Softmax')).toBe(0);
    }
  });
});
