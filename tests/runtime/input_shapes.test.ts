/** Which input shapes a Session knows at create, and the `inputShapes` option's checks (no browser, no GPU). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ValueInfo } from '../../src/graph/ir.js';
import { checkInputShapesOption, createShapes, signatureKey } from '../../src/runtime/input_shapes.js';
import { InputError, Session } from '../../src/runtime/session.js';

const image = (shape: number[]): ValueInfo => ({ name: 'input', dtype: 'f32', shape });
const symbolicModel = () => new Uint8Array(readFileSync(new URL('../fixtures/dynamic_hw/squeezenet1_1.onnx', import.meta.url)));

describe('createShapes: the shapes an executor may be built at during create', () => {
  it('static shapes as they are; only the batch free → batch 1 (as before: compile at load)', () => {
    expect(createShapes([image([2, 3, 32, 32])], {})).toEqual({ input: [2, 3, 32, 32] });
    expect(createShapes([image([-1, 3, 32, 32])], {})).toEqual({ input: [1, 3, 32, 32] });
    expect(createShapes([image([-1, 784])], {})).toEqual({ input: [1, 784] });
  });

  it('never invents a symbolic height/width (or any non-batch dim)', () => {
    expect(createShapes([image([-1, 3, -1, -1])], {})).toBeUndefined();
    expect(createShapes([image([1, 3, -1, 224])], {})).toBeUndefined();
    expect(createShapes([image([1, -1])], {})).toBeUndefined();
    // One unknown input is enough to build nothing.
    expect(createShapes([image([1, 3, 8, 8]), { name: 'seq', dtype: 'f32', shape: [1, -1] }], {})).toBeUndefined();
  });

  it("the metadata's inputSize [C, H, W] gives the size of one NCHW image input, at batch 1", () => {
    expect(createShapes([image([-1, 3, -1, -1])], { inputSize: [3, 224, 200] })).toEqual({ input: [1, 3, 224, 200] });
    expect(createShapes([image([4, 3, -1, -1])], { inputSize: [3, 64, 64] })).toEqual({ input: [4, 3, 64, 64] });
    // Static dims win over metadata (as in preprocess inputGeometry); malformed metadata is ignored.
    expect(createShapes([image([-1, 3, -1, 32])], { inputSize: [3, 16, 16] })).toEqual({ input: [1, 3, 16, 32] });
    expect(createShapes([image([-1, 3, -1, -1])], { inputSize: [3, 0, 16] })).toBeUndefined();
    expect(createShapes([image([-1, 3, -1, -1])], { inputSize: [224, 224] })).toBeUndefined();
    // Not for a rank-2 input, nor when there are several inputs (the metadata describes "the" image).
    expect(createShapes([image([1, -1])], { inputSize: [3, 8, 8] })).toBeUndefined();
    expect(createShapes([image([-1, 3, -1, -1]), { name: 'b', dtype: 'f32', shape: [1] }], { inputSize: [3, 8, 8] })).toBeUndefined();
  });

  it('the inputShapes option wins, and must leave no input unknown', () => {
    expect(createShapes([image([-1, 3, -1, -1])], { inputSize: [3, 8, 8] }, { input: [2, 3, 100, 120] })).toEqual({ input: [2, 3, 100, 120] });
    const two = [image([-1, 3, -1, -1]), { name: 'scale', dtype: 'f32' as const, shape: [-1, 1] }];
    expect(createShapes(two, {}, { input: [1, 3, 64, 64] })).toEqual({ input: [1, 3, 64, 64], scale: [1, 1] });
    expect(() => createShapes([image([-1, 3, -1, -1]), { name: 'seq', dtype: 'f32', shape: [1, -1] }], {}, { input: [1, 3, 64, 64] })).toThrow(
      "input 'seq': inputShapes gives no shape for it and its shape [1, -1] has free dims (-1): give one",
    );
  });

  it('signature keys name every input in model order', () => {
    const inputs = [image([-1, 3, -1, -1]), { name: 'b', dtype: 'f32' as const, shape: [2] }];
    expect(signatureKey(inputs, { b: [2], input: [1, 3, 8, 9] })).toBe('input:1x3x8x9|b:2');
  });
});

describe('checkInputShapesOption', () => {
  const inputs = [image([-1, 3, -1, -1])];
  it('accepts shapes that fit the declared one, and copies them', () => {
    const given = { input: [2, 3, 10, 12] };
    const r = checkInputShapesOption(inputs, given);
    expect(r).toEqual(given);
    expect(r['input']).not.toBe(given.input);
  });

  it.each([
    [[1, 2, 3], 'inputShapes must be an object { inputName: number[] }'],
    [null, 'inputShapes must be an object'],
    [{ image: [1, 3, 8, 8] }, "input 'image': inputShapes names an unknown input; the model expects 'input'"],
    [{ input: [1, 3, 8] }, "input 'input': inputShapes gives [1, 3, 8], which does not match the model's [-1, 3, -1, -1] (-1 = any)"],
    [{ input: [1, 4, 8, 8] }, "input 'input': inputShapes gives [1, 4, 8, 8], which does not match the model's [-1, 3, -1, -1] (-1 = any)"],
    [{ input: [1, 3, 0, 8] }, "input 'input': inputShapes gives [1,3,0,8]; expected an array of positive integers"],
    [{ input: [1, 3, 2.5, 8] }, 'expected an array of positive integers'],
    [{ input: '1x3x8x8' }, 'expected an array of positive integers'],
  ])('rejects %j with InputError', (option, message) => {
    expect(() => checkInputShapesOption(inputs, option)).toThrow(InputError);
    expect(() => checkInputShapesOption(inputs, option)).toThrow(message);
  });
});

describe('Session with symbolic H/W on the CPU backend', () => {
  it('create succeeds without shapes; profile() without feeds asks for them instead of guessing a size', async () => {
    const s = await Session.create(symbolicModel(), { backend: 'cpu' });
    expect(s.knownInputShapes).toBeUndefined();
    await expect(s.profile()).rejects.toThrow(/profile\(\) needs feeds: input sizes are symbolic \('input' \[-1, 3, -1, -1\]\)/);
  });

  it('inputShapes is checked at create on every backend: a malformed one and a size the model cannot run at', async () => {
    await expect(Session.create(symbolicModel(), { backend: 'cpu', inputShapes: { input: [1, 3, 224] } })).rejects.toThrow(InputError);
    const unrunnable = Session.create(symbolicModel(), { backend: 'cpu', inputShapes: { input: [1, 3, 8, 8] } });
    await expect(unrunnable).rejects.toThrow(InputError);
    await expect(unrunnable).rejects.toThrow(/input 'input': the model cannot run at shape \[1, 3, 8, 8\]: MaxPool node/);
    const ok = await Session.create(symbolicModel(), { backend: 'cpu', inputShapes: { input: [1, 3, 64, 64] } });
    expect(ok.knownInputShapes).toEqual({ input: [1, 3, 64, 64] });
    expect((await ok.profile()).outputs['output']!.shape).toEqual([1, 10]); // zeros at the known shape
  });

  it('an unrunnable size rejects that run with InputError (cause: the GraphError naming the node); later runs work', async () => {
    const s = await Session.create(symbolicModel(), { backend: 'cpu' });
    const err = await s.run({ input: { dtype: 'f32', shape: [1, 3, 1, 1], data: new Float32Array(3) } }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/^input 'input': the model cannot run at shape \[1, 3, 1, 1\]: Conv node '.*': output spatial size \[0, 0\] is empty/);
    expect((err.cause as Error).name).toBe('GraphError');
    const out = await s.run({ input: { dtype: 'f32', shape: [1, 3, 40, 36], data: new Float32Array(3 * 40 * 36) } });
    expect(out['output']!.shape).toEqual([1, 10]);
  });
});
