/**
 * The TF.js lowering of the benchmark, executed on tfjs's CPU backend (same ops as the WebGPU backend runs):
 * zoo fixtures against PyTorch's output, small graphs against Tessera's CPU reference.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { GraphBuilder, randomValues, tensorF32 } from '../../src/graph/builder.js';
import { CpuExecutor } from '../../src/backends/cpu/index.js';
import type { Attrs, Graph } from '../../src/graph/ir.js';
import { readNpy } from '../../src/io/npy.js';
import { relL2 } from '../../bench/metrics.js';
import { createTfjsModel } from '../../bench/tfjs_exec.js';
import { lowerToTfjs, TfjsConversionError, tfjsPasses, tfjsProgramFromOnnx, transposeData } from '../../bench/tfjs_program.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');

beforeAll(async () => {
  tf.env().set('IS_TEST', true); // no "install tfjs-node" banner
  await tf.setBackend('cpu');
});

async function runLowered(graph: Graph, x: Float32Array, shape: number[]): Promise<Float32Array> {
  const lowered = lowerToTfjs(graph);
  // The page receives the program as JSON (undefined fields become null there): run what it runs.
  const program = JSON.parse(JSON.stringify(lowered.program)) as typeof lowered.program;
  const model = createTfjsModel(tf, program, lowered.weights);
  const input = tf.tensor(x, shape);
  const out = model.predict(input);
  const data = (await out.data()) as Float32Array;
  expect(out.shape).toEqual(program.output.shape);
  out.dispose();
  input.dispose();
  model.dispose();
  return data;
}

function reference(graph: Graph, x: Float32Array, shape: number[]): Float32Array {
  const out = new CpuExecutor(graph).run({ [graph.inputs[0]!.name]: tensorF32(shape, x) });
  return out[graph.outputs[0]!.name]!.data as Float32Array;
}

describe('tfjs lowering of the zoo fixtures matches PyTorch', () => {
  for (const dir of ['resnet20', 'zoo/ghostnet-0.2x-cifar', 'zoo/resnext11-4x4d-cifar', 'zoo/preact-resnet11-cifar']) {
    it(dir, async () => {
      const root = join(FIXTURES, dir);
      const { program, weights } = tfjsProgramFromOnnx(new Uint8Array(readFileSync(join(root, 'model.onnx'))));
      const x = readNpy(new Uint8Array(readFileSync(join(root, 'input.npy'))), 'input.npy');
      const y = readNpy(new Uint8Array(readFileSync(join(root, 'output.npy'))), 'output.npy');
      const model = createTfjsModel(tf, program, weights);
      const input = tf.tensor(x.data as Float32Array, [...x.shape]);
      const out = model.predict(input);
      expect(out.shape).toEqual([...y.shape]);
      expect(relL2((await out.data()) as Float32Array, y.data as Float32Array)).toBeLessThan(1e-5);
      tf.dispose([input, out]);
      model.dispose();
      // BN folds into the convs (pre-activation BN -> ReLU -> conv cannot fold and runs as tf.batchNorm); no
      // Tessera-only op reaches the program.
      if (!dir.includes('preact')) expect(program.ops['BatchNormalization'] ?? 0).toBe(0);
      expect(Object.keys(program.ops).every((op) => !['FusedConv', 'FusedGemm', 'ChannelScale'].includes(op))).toBe(true);
    });
  }
});

describe('tfjs lowering of single ops matches the CPU reference', () => {
  const cases: { name: string; shape: number[]; build: (b: GraphBuilder, x: string) => string }[] = [
    {
      // (8 - 3) / 2 and (11 + 1 - 3) / 2 are fractional: ceil_mode adds an output row and column.
      name: 'MaxPool ceil_mode with pads',
      shape: [1, 3, 8, 11],
      build: (b, x) => b.node('MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [0, 1, 0, 0], ceil_mode: 1 }),
    },
    {
      name: 'AveragePool count_include_pad with ceil_mode',
      shape: [1, 2, 8, 8],
      build: (b, x) => b.node('AveragePool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1, count_include_pad: 1 }),
    },
    {
      name: 'AveragePool excluding pads',
      shape: [1, 2, 6, 6],
      build: (b, x) => b.node('AveragePool', [x], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] }),
    },
    {
      name: 'dense conv without bias (DenseNet-121 regression: a missing bias must not be looked up)',
      shape: [1, 3, 7, 7],
      build: (b, x) => {
        b.init('w', tensorF32([5, 3, 3, 3], randomValues(135, 12)));
        return b.node('Conv', [x, 'w'], { pads: [1, 1, 1, 1] });
      },
    },
    {
      name: 'depthwise conv, multiplier 2, bias, stride 2, fused Clip(0, 6)',
      shape: [1, 4, 9, 9],
      build: (b, x) => {
        b.init('w', tensorF32([8, 1, 3, 3], randomValues(72, 3)));
        b.init('bias', tensorF32([8], randomValues(8, 4)));
        return b.node('Clip', [b.node('Conv', [x, 'w', 'bias'], { group: 4, strides: [2, 2], pads: [1, 1, 1, 1] })], { min: 0, max: 6 });
      },
    },
    {
      name: 'grouped dilated conv with asymmetric pads, then LeakyRelu',
      shape: [1, 6, 10, 8],
      build: (b, x) => {
        b.init('w', tensorF32([9, 2, 3, 2], randomValues(108, 5)));
        b.init('bias', tensorF32([9], randomValues(9, 6)));
        return b.node('LeakyRelu', [b.node('Conv', [x, 'w', 'bias'], { group: 3, dilations: [2, 1], pads: [2, 0, 1, 1] })], { alpha: 0.1 });
      },
    },
    {
      name: 'Flatten of a 3x3 map into a Gemm with alpha, beta, transB',
      shape: [1, 2, 3, 3],
      build: (b, x) => {
        b.init('B', tensorF32([5, 18], randomValues(90, 7)));
        b.init('C', tensorF32([5], randomValues(5, 8)));
        return b.node('Gemm', [b.node('Flatten', [x], { axis: 1 }), 'B', 'C'], { alpha: 0.5, beta: 2, transB: 1 });
      },
    },
    {
      name: 'Reshape to 4-D, strided Slice, reflect Pad, Concat on channels',
      shape: [1, 4, 6, 6],
      build: (b, x) => {
        const r = b.node('Reshape', [x], { shape: [1, 8, 3, 6] });
        const s = b.node('Slice', [r], { starts: [1, 0], ends: [100, 6], axes: [2, 3], steps: [1, 2] });
        const p = b.node('Pad', [s], { pads: [0, 0, 1, 1, 0, 0, 0, 1], mode: 'reflect' });
        const q = b.node('Pad', [s], { pads: [0, 0, 1, 2, 0, 0, 0, 0], mode: 'constant', value: 0.5 });
        return b.node('Concat', [p, q], { axis: 1 });
      },
    },
    {
      name: 'HardSwish and HardSigmoid gate with a per-channel constant, Split',
      shape: [1, 4, 5, 5],
      build: (b, x) => {
        b.init('k', tensorF32([4, 1, 1], randomValues(4, 9)));
        const hs = b.node('HardSwish', [x]);
        const gate = b.node('HardSigmoid', [b.node('GlobalAveragePool', [x])], { alpha: 0.2, beta: 0.5 });
        const scaled = b.node('Add', [b.node('Mul', [hs, gate]), 'k']);
        const [a, c] = b.node('Split', [scaled], { axis: 1, split: [1, 3] }, 'split', 2) as [string, string];
        return b.node('Sub', [b.node('ReduceMean', [c], { axes: [1], keepdims: 1 }), a]);
      },
    },
    // Resize (issue 18): each ONNX mode that has an exact tfjs resize.
    {
      name: 'Resize linear half_pixel up (sizes), as LR-ASPP exports it',
      shape: [1, 3, 5, 7],
      build: (b, x) => b.node('Resize', [x], { mode: 'linear', coordinate_transformation_mode: 'half_pixel', sizes: [1, 3, 12, 16] }),
    },
    {
      name: 'Resize linear pytorch_half_pixel down',
      shape: [1, 2, 9, 8],
      build: (b, x) => b.node('Resize', [x], { mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel', sizes: [1, 2, 4, 5] }),
    },
    {
      name: 'Resize linear align_corners and asymmetric (scales)',
      shape: [1, 2, 4, 6],
      build: (b, x) =>
        b.node('Concat', [
          b.node('Resize', [x], { mode: 'linear', coordinate_transformation_mode: 'align_corners', sizes: [1, 2, 7, 9] }),
          b.node('Resize', [b.node('Resize', [x], { mode: 'linear', coordinate_transformation_mode: 'asymmetric', scales: [1, 1, 2, 1.5] })], {
            mode: 'linear',
            coordinate_transformation_mode: 'half_pixel',
            sizes: [1, 2, 7, 9],
          }),
        ], { axis: 1 }),
    },
    {
      name: 'Resize nearest: asymmetric/floor, tf_half_pixel_for_nn/floor, half_pixel and align_corners/round_prefer_ceil',
      shape: [1, 2, 4, 6],
      build: (b, x) => {
        const r = (coord: string, nearest: string, sizes: number[]) => b.node('Resize', [x], { mode: 'nearest', coordinate_transformation_mode: coord, nearest_mode: nearest, sizes });
        return b.node('Concat', [
          r('asymmetric', 'floor', [1, 2, 8, 9]),
          r('tf_half_pixel_for_nn', 'floor', [1, 2, 8, 9]),
          r('half_pixel', 'round_prefer_ceil', [1, 2, 8, 9]),
          r('align_corners', 'round_prefer_ceil', [1, 2, 8, 9]),
        ], { axis: 1 });
      },
    },
    {
      name: 'Transpose, ReduceMean without keepdims, Softmax',
      shape: [1, 3, 4, 5],
      build: (b, x) => {
        const t = b.node('Transpose', [x], { perm: [0, 2, 3, 1] });
        return b.node('Softmax', [b.node('ReduceMean', [t], { axes: [1], keepdims: 0 })], { axis: -1 });
      },
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const b = new GraphBuilder();
      const x = b.input('x', 'f32', c.shape);
      b.output(c.build(b, x));
      const graph = b.build();
      const data = randomValues(c.shape.reduce((p, d) => p * d, 1), 11);
      const want = reference(graph, data, c.shape);
      const got = await runLowered(graph, data, c.shape);
      expect(got.length).toBe(want.length);
      expect(relL2(got, want)).toBeLessThan(1e-5);
    });
  }

  it('folds BN into the conv and the activation into tf.fused.conv2d', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'f32', [1, 3, 8, 8]);
    b.init('w', tensorF32([4, 3, 3, 3], randomValues(108, 1)));
    const bn = (n: string, v: number[]) => b.init(n, tensorF32([4], v));
    const attrs: Attrs = { epsilon: 1e-5 };
    const y = b.node('BatchNormalization', [b.node('Conv', [x, 'w'], { pads: [1, 1, 1, 1] }), bn('g', [1, 2, 3, 4]), bn('be', [0, 1, 0, 1]), bn('m', [0.1, 0.2, 0.3, 0.4]), bn('v', [1, 2, 1, 2])], attrs);
    b.output(b.node('Relu', [y]));
    const { program } = lowerToTfjs(tfjsPasses(b.build()));
    expect(program.steps.map((s) => s.kind)).toEqual(['transpose', 'conv', 'transpose']);
    const conv = program.steps[1]!;
    expect(conv.kind === 'conv' && conv.activation === 'relu' && conv.biases[0] !== null).toBe(true);
  });
});

describe('tfjs lowering errors and helpers', () => {
  it('an op without a tfjs lowering is a TfjsConversionError naming the node', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'f32', [1, 2, 3, 3]);
    b.output(b.node('Expand', [x], { shape: [2, 2, 3, 3] }, 'my_expand'));
    const graph = b.build();
    expect(() => lowerToTfjs(graph)).toThrow(TfjsConversionError);
    expect(() => lowerToTfjs(graph)).toThrow(/Expand node 'my_expand'/);
  });

  it('a Resize mode without an exact tfjs equivalent is a TfjsConversionError', () => {
    const cases: Attrs[] = [
      { mode: 'cubic', coordinate_transformation_mode: 'half_pixel', sizes: [1, 2, 6, 6] },
      { mode: 'nearest', coordinate_transformation_mode: 'half_pixel', nearest_mode: 'round_prefer_floor', sizes: [1, 2, 6, 6] },
      { mode: 'linear', coordinate_transformation_mode: 'half_pixel_symmetric', sizes: [1, 2, 6, 6] },
      { mode: 'linear', coordinate_transformation_mode: 'half_pixel', scales: [1, 1, 1.6, 1.6] }, // 3 -> 4: ratio 4/3 != 1.6
      { mode: 'linear', coordinate_transformation_mode: 'half_pixel', sizes: [1, 4, 6, 6] }, // channels resized
    ];
    for (const attrs of cases) {
      const b = new GraphBuilder();
      const x = b.input('x', 'f32', [1, 2, 3, 3]);
      b.output(b.node('Resize', [x], attrs, 'my_resize'));
      expect(() => lowerToTfjs(b.build()), JSON.stringify(attrs)).toThrow(/Resize node 'my_resize'/);
    }
  });

  it('transposeData moves element [i,j,k] to the permuted position', () => {
    const shape = [2, 3, 4];
    const data = Float32Array.from({ length: 24 }, (_, i) => i);
    const out = transposeData(data, shape, [2, 0, 1]); // out[k][i][j] = in[i][j][k]
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) expect(out[k * 6 + i * 3 + j]).toBe(data[i * 12 + j * 4 + k]);
  });
});
