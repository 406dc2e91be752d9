/**
 * Session.create runs checkGraphLimits (src/load/limits.ts) on every graph it is given, before any backend
 * allocates from it: graph objects built in code and .tessera bytes alike, on the CPU backend here (no GPU needed).
 */
import { describe, expect, it } from 'vitest';
import { GraphBuilder, tensorF32 } from '../../src/graph/builder.js';
import type { Graph } from '../../src/graph/ir.js';
import { Session } from '../../src/runtime/session.js';
import { writeTessera } from '../../src/format/index.js';
import { LIMITS, LimitError } from '../../src/load/limits.js';

async function createError(src: Graph | Uint8Array): Promise<unknown> {
  try {
    await Session.create(src, { backend: 'cpu' });
    return undefined;
  } catch (e) {
    return e;
  }
}

describe('Session.create checks graph limits', () => {
  it('rejects an inferred activation above maxValueElements, naming the value', async () => {
    // 8 x 1 x 8192 x 8192 = 2^29 elements after a Relu on a graph input with a fixed shape: above 2^28.
    const b = new GraphBuilder();
    b.input('x', 'f32', [8, 1, 8192, 8192]);
    const y = b.node('Relu', ['x'], {}, 'relu');
    b.output(y);
    const e = await createError(b.build());
    expect(e).toBeInstanceOf(LimitError);
    expect((e as LimitError).limit).toBe('maxValueElements');
    expect((e as Error).message).toContain("graph input 'x'");
  });

  it('rejects a value that only inference reveals (Expand of a small input) above maxValueElements, from .tessera bytes too', async () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 1, 4096, 4096]);
    const y = b.node('Expand', ['x'], { shape: [1, 32, 4096, 4096] }, 'expand');
    b.output(y);
    const g = b.build();
    for (const src of [g, writeTessera(g)]) {
      const e = await createError(src);
      expect(e, String(e)).toBeInstanceOf(LimitError);
      expect((e as LimitError).limit).toBe('maxValueElements');
      expect((e as Error).message).toContain("value 'expand_out'");
    }
  });

  it('rejects an attribute list above maxAttrValues', async () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 4]);
    const y = b.node('Relu', ['x'], { junk: new Array(LIMITS.maxAttrValues + 1).fill(1) }, 'relu');
    b.output(y);
    const g = b.build();
    const fromGraph = await createError(g);
    expect(fromGraph).toBeInstanceOf(LimitError);
    expect((fromGraph as LimitError).limit).toBe('maxAttrValues');
    expect((fromGraph as Error).message).toContain("Relu node 'relu' attribute 'junk'");
  });

  it('accepts a graph within the limits and runs it', async () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 4]);
    b.init('k', tensorF32([1, 4], [1, 2, 3, 4]));
    const y = b.node('Mul', ['x', 'k'], {}, 'mul');
    b.output(y);
    const s = await Session.create(b.build(), { backend: 'cpu' });
    const out = await s.run({ x: new Float32Array([1, 1, 1, 1]) });
    expect(Array.from(out['mul_out']!.data as Float32Array)).toEqual([1, 2, 3, 4]);
  });
});
