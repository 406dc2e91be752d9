/** The demo's model facts count a binary layer like the float layer it replaces. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readTessera } from '../../src/format/reader.js';
import { modelFacts } from '../../src/worker/model_facts.js';

const load = (file: string) => readTessera(new Uint8Array(readFileSync(new URL(`../../models/${file}`, import.meta.url))));

describe('modelFacts', () => {
  it('gives the XNOR LeNet the MACs and parameters of the float LeNet it binarises', () => {
    const xnor = modelFacts(load('xnor-lenet-mnist.tessera'));
    const float = modelFacts(load('lenet-mnist.tessera'));
    expect(xnor.binaryLayers).toBe(2);
    expect(float.binaryLayers).toBe(0);
    // LeNet: conv1 20·24·24·25 + conv2 50·8·8·500 + fc1 500·800 + fc2 10·500 multiply-accumulates per image.
    const macs = 20 * 24 * 24 * 25 + 50 * 8 * 8 * 500 + 500 * 800 + 10 * 500;
    expect(float.macs).toBe(macs);
    expect(xnor.macs).toBe(macs);
    // Binary weights are 1 bit each: far fewer bytes than the float model's f32 weights.
    expect(xnor.weightBytes * 10).toBeLessThan(float.weightBytes);
  });
});
