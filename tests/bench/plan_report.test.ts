import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatPlanReport, planReport, planReportForGraph } from '../../bench/plan_report.js';
import { importOnnx } from '../../src/import/onnx/index.js';
import { optimize } from '../../src/graph/passes/index.js';
import { inferShapes } from '../../src/graph/infer.js';
import { bytesPerElement, GraphError, sizeOf } from '../../src/graph/ir.js';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/${name}/model.onnx`, import.meta.url)));

/** Independent bound: at any node its activation inputs and outputs are live together (no aliasing assumed). */
function nodeFootprint(bytes: Uint8Array): number {
  const g = optimize(importOnnx(bytes));
  const shapes = inferShapes(g);
  let most = 0;
  for (const n of g.nodes) {
    const names = new Set([...n.inputs, ...n.outputs].filter((x) => x !== '' && !g.initializers.has(x)));
    let sum = 0;
    for (const x of names) sum += sizeOf(shapes.get(x)!.shape) * bytesPerElement(shapes.get(x)!.dtype);
    most = Math.max(most, sum);
  }
  return most;
}

describe('plan_report', () => {
  for (const name of ['concat_split_slice', 'resnet20']) {
    it(`${name}: peak >= lower bound, sharing beats the naive total, Concats accounted for`, () => {
      const r = planReport(name, fixture(name));
      expect(r.plans).toHaveLength(2);
      for (const p of r.plans) {
        expect(p.peakActivationBytes).toBeGreaterThanOrEqual(p.lowerBoundBytes);
        expect(p.lowerBoundBytes).toBeGreaterThan(0);
        expect(p.peakActivationBytes).toBeLessThanOrEqual(r.naiveBytes + 256 * 64);
      }
      const [all, executor] = r.plans;
      expect(executor!.elidedConcats).toBe(0);
      expect(all!.elidedConcats + all!.remainingConcats).toBe(executor!.remainingConcats);
      // Without concat/slice views nothing aliases: every node's inputs + outputs must fit under the bound.
      expect(executor!.lowerBoundBytes).toBeGreaterThanOrEqual(nodeFootprint(fixture(name)));
      const text = formatPlanReport(r);
      expect(text).toContain(`${executor!.peakActivationBytes} B`);
    });
  }

  it('batch scales activations, not weights; a static batch cannot be overridden', () => {
    const dynamic = () => {
      const g = importOnnx(fixture('resnet20'));
      g.inputs[0] = { ...g.inputs[0]!, shape: [-1, ...g.inputs[0]!.shape.slice(1)] };
      return g;
    };
    const one = planReportForGraph('resnet20', dynamic(), 1);
    const four = planReportForGraph('resnet20', dynamic(), 4);
    expect(one.batch).toBe(1);
    expect(four.weightBytes).toBe(one.weightBytes);
    expect(four.naiveBytes).toBe(4 * one.naiveBytes);
    expect(four.plans[1]!.lowerBoundBytes).toBe(4 * one.plans[1]!.lowerBoundBytes);
    expect(planReport('resnet20', fixture('resnet20')).batch).toBe(2); // declared
    expect(() => planReport('resnet20', fixture('resnet20'), 3)).toThrow(GraphError);
  });
});
