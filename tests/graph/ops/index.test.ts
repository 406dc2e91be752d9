import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { shapeRules } from '../../../src/graph/ops/index.js';

/** Op names from the first column of the table in docs/ir.md. */
function documentedOps(): string[] {
  const doc = readFileSync(new URL('../../../docs/ir.md', import.meta.url), 'utf8');
  const ops: string[] = [];
  for (const line of doc.split('\n')) {
    const m = /^\|\s*([A-Z][^|]*?)\s*\|/.exec(line);
    if (!m || m[1] === 'op') continue;
    ops.push(...m[1]!.split(',').map((s) => s.trim()));
  }
  return ops;
}

describe('shapeRules', () => {
  it('has a rule for every op of the docs/ir.md table', () => {
    const ops = documentedOps();
    expect(ops.length).toBeGreaterThan(50);
    expect(ops.filter((op) => !shapeRules[op])).toEqual([]);
  });
});
