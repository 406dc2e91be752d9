/** Small pure pieces of the CLI: flag parsing, metadata_props parsing, output post-processing. */
import { describe, expect, it } from 'vitest';
import { intFlag, numberList, parseArgs, parseNumber, type CommandSpec } from '../../src/cli/args.js';
import { argmax, isDistribution, outputRows, softmax, topK } from '../../src/cli/classify.js';
import { UsageError } from '../../src/cli/errors.js';
import { metadataFromProps } from '../../src/cli/metadata.js';
import { fitInput } from '../../src/cli/run.js';
import { makeTensor } from '../../src/graph/ir.js';

const spec: CommandSpec = {
  name: 'demo',
  brief: '',
  summary: '',
  usage: '',
  flags: {
    output: { type: 'string', alias: 'o', help: '' },
    fp16: { type: 'boolean', help: '' },
    limit: { type: 'string', help: '' },
  },
};

describe('parseArgs', () => {
  it('handles --flag value, --flag=value, aliases, booleans, negative-number positionals and --', () => {
    const a = parseArgs(['in.onnx', '-o', 'out', '--fp16', '--limit=7', '-3', '--', '--literal'], spec);
    expect(a.positionals).toEqual(['in.onnx', '-3', '--literal']);
    expect(a.flags.get('output')).toBe('out');
    expect(a.flags.get('fp16')).toBe(true);
    expect(intFlag(a, 'demo', 'limit', { min: 1 })).toBe(7);
  });

  it('rejects unknown flags, missing values, repeated flags and values on booleans', () => {
    expect(() => parseArgs(['--nope'], spec)).toThrow(UsageError);
    expect(() => parseArgs(['-o'], spec)).toThrow(/needs a value/);
    expect(() => parseArgs(['-o', '--fp16'], spec)).toThrow(/needs a value/);
    expect(() => parseArgs(['-o', 'a', '--output', 'b'], spec)).toThrow(/given twice/);
    expect(() => parseArgs(['--fp16=yes'], spec)).toThrow(/takes no value/);
  });

  it('parses numbers, fractions and lists', () => {
    expect(parseNumber('1/255', 'x')).toBe(1 / 255);
    expect(numberList('0.485, 0.456,0.406', 'x', 3)).toEqual([0.485, 0.456, 0.406]);
    expect(() => numberList('1,2', 'x', 3)).toThrow(/expected 3/);
    expect(() => parseNumber('', 'x')).toThrow(UsageError);
  });
});

describe('metadataFromProps', () => {
  it('reads exporter keys kept by the importer as provenance meta.*, in several spellings', () => {
    const m = metadataFromProps(
      { name: 'graph' },
      { format: 'onnx', 'meta.class_names': '["a", "b c"]', 'meta.Mean': '[0.5, 0.25]', 'meta.std': '0.5 0.5', 'meta.input_size': '(2, 8, 8)', 'meta.pixel_scale': '1/255', 'meta.color_order': 'bgr', 'meta.model_name': 'net' },
    );
    expect(m.labels).toEqual(['a', 'b c']);
    expect(m.mean).toEqual([0.5, 0.25]);
    expect(m.std).toEqual([0.5, 0.5]);
    expect(m.inputSize).toEqual([2, 8, 8]);
    expect(m.pixelScale).toBe(1 / 255);
    expect(m.colorOrder).toBe('BGR');
    expect(m.name).toBe('net');
  });

  it('ignores the importer\'s own provenance keys and keeps fields that are already set', () => {
    const m = metadataFromProps({ mean: [1] }, { format: 'onnx', producer: 'x', 'meta.mean': '0,0,0', 'meta.labels': 'x\ny\n' });
    expect(m.mean).toEqual([1]);
    expect(m.labels).toEqual(['x', 'y']);
    expect(m.name).toBeUndefined();
    expect(() => metadataFromProps({}, { 'meta.std': 'wide' })).toThrow(/metadata_props 'std'/);
  });
});

describe('output post-processing', () => {
  it('splits [N, K, 1, 1] outputs per sample and takes the first maximum', () => {
    const out = makeTensor('f32', [2, 3, 1, 1], Float32Array.from([1, 5, 5, -1, -2, -0.5]));
    const rows = outputRows(out, 2);
    expect(rows.map((r) => argmax(r))).toEqual([1, 2]);
  });

  it('softmax sums to 1 and is left out for outputs that already are distributions', () => {
    const p = softmax([1000, 1001, 999]);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(p[1]! / p[0]!).toBeCloseTo(Math.E, 10);
    expect(isDistribution([0.2, 0.8])).toBe(true);
    expect(isDistribution([2, -1])).toBe(false);
    expect(isDistribution([0.2, 0.2])).toBe(false);
  });

  it('ranks by raw score even when probabilities underflow to 0', () => {
    const scores = [-3000, 4000, 3000, 100];
    const top = topK(scores, softmax(scores), 3);
    expect(top.map((t) => t.index)).toEqual([1, 2, 3]);
    expect(top[0]!.p).toBe(1);
  });
});

describe('fitInput', () => {
  const input = { name: 'x', dtype: 'f32' as const, shape: [1, 1, 2, 2] };
  it('casts integer tensors to f32 and reshapes when only the element count matches', () => {
    const t = fitInput(makeTensor('i32', [1, 4], Int32Array.from([1, 2, 3, 4])), input, 'w');
    expect(t.dtype).toBe('f32');
    expect(t.shape).toEqual([1, 1, 2, 2]);
    expect(Array.from(t.data as Float32Array)).toEqual([1, 2, 3, 4]);
  });
  it('adds a missing batch dim and stacks samples for a dynamic batch', () => {
    expect(fitInput(makeTensor('f32', [1, 2, 2]), input, 'w').shape).toEqual([1, 1, 2, 2]);
    expect(fitInput(makeTensor('f32', [3, 4]), { ...input, shape: [-1, 1, 2, 2] }, 'w').shape).toEqual([3, 1, 2, 2]);
    expect(() => fitInput(makeTensor('f32', [5]), input, 'where')).toThrow(/where: shape \[5\] does not fit/);
  });
});
