import { describe, expect, it } from 'vitest';
import { ALL_RUNTIMES, BenchArgsError, NODE_RUNTIMES, parseBenchArgs } from '../../bench/args.js';
import { DEFAULT_MODELS, KNOWN_MODELS, modelFiles, modelInfo } from '../../bench/models.js';

describe('bench arguments', () => {
  it('defaults: the models that fit in 20 minutes, every runtime, bench/results', () => {
    const a = parseBenchArgs([]);
    expect(a.models).toEqual(DEFAULT_MODELS);
    expect(a.models.slice(0, 4)).toEqual(['resnet20', 'resnet18', 'mobilenet_v3_small', 'squeezenet1_1']);
    expect(a.runtimes).toContain('tfjs-webgpu');
    expect(a.runtimes).toEqual(ALL_RUNTIMES);
    expect(a.outDir).toBe('bench/results');
    expect(a.reps).toBeUndefined();
  });

  it('parses lists, inline values and all', () => {
    const a = parseBenchArgs(['--models', 'resnet50,densenet121', '--reps=4', '--runtimes', 'tessera,ort-webgpu', '--no-profile', '--out', '/tmp/x']);
    expect(a.models).toEqual(['resnet50', 'densenet121']);
    expect(a.reps).toBe(4);
    expect(a.runtimes).toEqual(['tessera', 'ort-webgpu']);
    expect(a.profile).toBe(false);
    expect(a.outDir).toBe('/tmp/x');
    expect(parseBenchArgs(['--models', 'all']).models).toEqual(KNOWN_MODELS.map((m) => m.name));
  });

  it('--host node: Node runtimes, its own results folder unless --out, browser-only runtimes refused', () => {
    expect(parseBenchArgs([]).host).toBe('chromium');
    const a = parseBenchArgs(['--host', 'node', '--models', 'resnet20,squeezenet1_1']);
    expect(a.host).toBe('node');
    expect(a.outDir).toBe('bench/results/node');
    expect(a.runtimes).toEqual(NODE_RUNTIMES);
    expect(a.runtimes).not.toContain('ort-wasm');
    expect(a.models).toEqual(['resnet20', 'squeezenet1_1']);
    expect(parseBenchArgs(['--out', '/tmp/y', '--host=node']).outDir).toBe('/tmp/y');
    expect(parseBenchArgs(['--host', 'node', '--runtimes', 'tessera,ort-node']).runtimes).toEqual(['tessera', 'ort-node']);
    expect(() => parseBenchArgs(['--host', 'node', '--runtimes', 'tessera,ort-wasm'])).toThrow(/ort-wasm runs only in Chromium/);
    expect(() => parseBenchArgs(['--host', 'deno'])).toThrow(BenchArgsError);
    expect(() => parseBenchArgs(['--host'])).toThrow(/--host/);
    expect(parseBenchArgs(['--host', 'chromium']).outDir).toBe('bench/results');
  });

  it('--int8: off by default, a flag, and only with the tessera runtime', () => {
    expect(parseBenchArgs([]).int8).toBe(false);
    const a = parseBenchArgs(['--int8', '--models', 'resnet20,mobilenet_v3_small', '--runtimes', 'tessera', '--reps', '5']);
    expect(a.int8).toBe(true);
    expect(a.runtimes).toEqual(['tessera']);
    expect(a.models).toEqual(['resnet20', 'mobilenet_v3_small']);
    expect(parseBenchArgs(['--host', 'node', '--int8']).int8).toBe(true);
    expect(() => parseBenchArgs(['--int8', '--runtimes', 'ort-webgpu'])).toThrow(/--int8 .*'tessera'/);
    expect(() => parseBenchArgs(['--int8', '--runtimes', 'wasm'])).toThrow(BenchArgsError);
  });

  it('--warmup-seconds: 1 by default, 0 turns it off, bad values refused', () => {
    expect(parseBenchArgs([]).warmupSeconds).toBe(1);
    expect(parseBenchArgs(['--warmup-seconds', '0']).warmupSeconds).toBe(0);
    expect(parseBenchArgs(['--warmup-seconds=2.5']).warmupSeconds).toBe(2.5);
    for (const bad of ['-1', 'abc', '61']) expect(() => parseBenchArgs(['--warmup-seconds', bad])).toThrow(/--warmup-seconds/);
    expect(() => parseBenchArgs(['--warmup-seconds'])).toThrow(BenchArgsError);
  });

  it('--rounds: 1 by default, at most 10', () => {
    expect(parseBenchArgs([]).rounds).toBe(1);
    expect(parseBenchArgs(['--rounds', '3']).rounds).toBe(3);
    expect(() => parseBenchArgs(['--rounds', '0'])).toThrow(BenchArgsError);
    expect(() => parseBenchArgs(['--rounds', '11'])).toThrow(/at most 10/);
  });

  it('rejects bad input with BenchArgsError', () => {
    expect(() => parseBenchArgs(['--reps', '0'])).toThrow(BenchArgsError);
    expect(() => parseBenchArgs(['--reps'])).toThrow(/positive integer/);
    expect(() => parseBenchArgs(['--runtimes', 'tfjs'])).toThrow(/unknown runtime 'tfjs'/);
    expect(() => parseBenchArgs(['--models', '../etc'])).toThrow(/not a model name/);
    expect(() => parseBenchArgs(['--frobnicate'])).toThrow(/unknown argument/);
  });

  it('model files sit side by side; unknown models are opt-in big ones', () => {
    expect(modelFiles('resnet18', '/m')).toEqual({ onnx: '/m/resnet18.onnx', input: '/m/resnet18.input.npy', output: '/m/resnet18.output.npy' });
    expect(modelInfo('regnet_y_400mf').big).toBe(true);
    expect(modelInfo('resnet50').reps).toBeLessThan(modelInfo('resnet20').reps);
    expect(modelInfo('ghostnet').zoo).toBe('ghostnet-1.0x');
    const eight = ['resnet20', 'resnet18', 'mobilenet_v3_small', 'squeezenet1_1', 'resnet50', 'densenet121', 'resnext50_32x4d', 'ghostnet'];
    const modern = ['convnext_tiny', 'vit_tiny', 'swin_t'];
    expect(KNOWN_MODELS.map((m) => m.name)).toEqual([...eight, 'lraspp_mobilenet_v3_large', ...modern]);
    // Issue 18's LR-ASPP and issue 15's classifiers are known but not in the default run, which stays issue 7's eight.
    expect(DEFAULT_MODELS).toEqual(eight);
    expect(modelInfo('lraspp_mobilenet_v3_large').big).toBe(false);
    // issue 15's are exported at opset 17 (LayerNormalization as one op), the others at the exporter's default
    for (const m of modern) expect(modelInfo(m).opset).toBe(17);
    expect(modelInfo('resnet50').opset).toBeUndefined();
  });
});
