/**
 * Executes a lowered tfjs program (bench/tfjs_program.ts) with TensorFlow.js ops on whatever backend is active
 * (WebGPU in the benchmark page, the CPU backend in tests). `tf` is passed in so that this file carries no backend.
 */
import type * as tfc from '@tensorflow/tfjs-core';
import type { TfjsProgram, TfjsStep } from './tfjs_program.js';

export type Tf = typeof tfc;
type T = tfc.Tensor;
type T4 = tfc.Tensor4D;

export class TfjsExecError extends Error {
  override name = 'TfjsExecError';
}

export interface TfjsModel {
  /** Weight tensors, created from the blob at construction (uploaded to the GPU on first use). */
  readonly weights: Map<string, T>;
  /** Runs the program on an NCHW input; intermediates are disposed, the caller owns the result. */
  predict(input: T): T;
  dispose(): void;
}

function explicit(pad: [[number, number], [number, number]]): [[number, number], [number, number], [number, number], [number, number]] {
  return [[0, 0], pad[0], pad[1], [0, 0]];
}

function runStep(tf: Tf, step: TfjsStep, get: (name: string) => T, set: (name: string, t: T) => void): void {
  switch (step.kind) {
    case 'transpose':
      return set(step.out, tf.transpose(get(step.x), step.perm));
    case 'conv': {
      const x = get(step.x) as T4;
      const pad = explicit(step.pad);
      const conv = (input: T4, k: number): T4 => {
        const filter = get(step.filters[k]!) as T4;
        const name = step.biases[k]!;
        const bias = name !== null ? get(name) : undefined;
        const args = { x: input, filter, strides: step.strides, pad, dataFormat: 'NHWC' as const, dilations: step.dilations, bias, activation: step.activation, leakyreluAlpha: step.leakyAlpha };
        // Without bias or activation, the plain op (what a tfjs user writes); the fused op otherwise.
        const plain = !bias && step.activation === 'linear';
        // fused.depthwiseConv2d's typings omit explicit padding; the op accepts it (computeConv2DInfo handles it).
        if (step.mode === 'depthwise')
          return plain ? tf.depthwiseConv2d(input, filter, step.strides, pad, 'NHWC', step.dilations) : (tf.fused.depthwiseConv2d(args as unknown as Parameters<Tf['fused']['depthwiseConv2d']>[0]) as T4);
        return plain ? tf.conv2d(input, filter, step.strides, pad, 'NHWC', step.dilations) : tf.fused.conv2d(args);
      };
      if (step.mode !== 'grouped') return set(step.out, conv(x, 0));
      const parts = tf.split(x, step.filters.length, 3) as T4[];
      return set(step.out, tf.concat(parts.map((p, k) => conv(p, k)), 3));
    }
    case 'pool': {
      const x = get(step.x) as T4;
      const pad = explicit(step.pad);
      return set(step.out, step.type === 'max' ? tf.maxPool(x, step.size, step.strides, pad) : tf.avgPool(x, step.size, step.strides, pad));
    }
    case 'reduce': {
      const x = get(step.x);
      const f = step.type === 'mean' ? tf.mean : step.type === 'max' ? tf.max : tf.sum;
      return set(step.out, f(x, step.axes, step.keepDims));
    }
    case 'binary': {
      const f = { add: tf.add, sub: tf.sub, mul: tf.mul, div: tf.div, pow: tf.pow, maximum: tf.maximum, minimum: tf.minimum }[step.op];
      return set(step.out, f(get(step.a), get(step.b)));
    }
    case 'unary': {
      const f = {
        relu: tf.relu,
        relu6: tf.relu6,
        sigmoid: tf.sigmoid,
        tanh: tf.tanh,
        abs: tf.abs,
        neg: tf.neg,
        exp: tf.exp,
        sqrt: tf.sqrt,
        floor: tf.floor,
        ceil: tf.ceil,
        reciprocal: tf.reciprocal,
        sign: tf.sign,
      }[step.op];
      return set(step.out, f(get(step.x)));
    }
    case 'leakyRelu':
      return set(step.out, tf.leakyRelu(get(step.x), step.alpha));
    case 'clip':
      return set(step.out, tf.clipByValue(get(step.x), step.min, step.max));
    case 'hardSigmoid': {
      const x = get(step.x);
      const hs = tf.clipByValue(tf.add(tf.mul(x, step.alpha), step.beta), 0, 1);
      return set(step.out, step.swish ? tf.mul(x, hs) : hs);
    }
    case 'batchNorm':
      return set(step.out, tf.batchNorm(get(step.x), get(step.mean), get(step.variance), get(step.offset), get(step.scale), step.epsilon));
    case 'concat':
      return set(step.out, step.xs.length === 1 ? get(step.xs[0]!) : tf.concat(step.xs.map(get), step.axis));
    case 'split': {
      const parts = tf.split(get(step.x), step.sizes, step.axis);
      step.outs.forEach((o, i) => {
        if (o) set(o, parts[i]!);
      });
      return;
    }
    case 'slice':
      return set(step.out, tf.slice(get(step.x), step.begin, step.size));
    case 'stridedSlice':
      return set(step.out, tf.stridedSlice(get(step.x), step.begin, step.end, step.strides));
    case 'pad': {
      const x = get(step.x);
      return set(step.out, step.mode === 'reflect' ? tf.mirrorPad(x, step.paddings, 'reflect') : tf.pad(x, step.paddings, step.value));
    }
    case 'matMul': {
      const a = get(step.a);
      const b = get(step.b);
      const bias = step.bias !== undefined ? get(step.bias) : undefined;
      if (!bias && step.activation === 'linear') return set(step.out, tf.matMul(a, b, step.transposeA, step.transposeB));
      return set(step.out, tf.fused.matMul({ a, b, transposeA: step.transposeA, transposeB: step.transposeB, bias, activation: step.activation, leakyreluAlpha: step.leakyAlpha }));
    }
    case 'reshape':
      return set(step.out, tf.reshape(get(step.x), step.shape));
    case 'softmax':
      return set(step.out, tf.softmax(get(step.x)));
    case 'resize': {
      const x = get(step.x) as T4;
      return set(step.out, step.method === 'bilinear' ? tf.image.resizeBilinear(x, step.size, step.alignCorners, step.halfPixelCenters) : tf.image.resizeNearestNeighbor(x, step.size, step.alignCorners, step.halfPixelCenters));
    }
  }
}

/** Creates the weight tensors (`weights` indexed by program.weights) and returns the model. */
export function createTfjsModel(tf: Tf, program: TfjsProgram, weights: Float32Array): TfjsModel {
  const w = new Map<string, T>();
  for (const spec of program.weights) {
    if (spec.offset + spec.length > weights.length) throw new TfjsExecError(`weight '${spec.name}' lies beyond the ${weights.length}-float blob`);
    w.set(spec.name, tf.tensor(weights.subarray(spec.offset, spec.offset + spec.length), spec.shape, 'float32'));
  }
  return {
    weights: w,
    predict(input: T): T {
      if (input.shape.join(',') !== program.input.shape.join(','))
        throw new TfjsExecError(`input shape [${input.shape}] differs from the program's [${program.input.shape}]`);
      return tf.tidy(() => {
        const env = new Map<string, T>([[program.input.name, input]]);
        const get = (name: string): T => {
          const t = env.get(name) ?? w.get(name);
          if (!t) throw new TfjsExecError(`value '${name}' is used before it is computed`);
          return t;
        };
        const set = (name: string, t: T) => void env.set(name, t);
        for (const step of program.steps) runStep(tf, step, get, set);
        return get(program.output.name);
      });
    },
    dispose() {
      for (const t of w.values()) t.dispose();
      w.clear();
    },
  };
}
