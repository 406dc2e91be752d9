/**
 * Concrete input shapes for a Session (docs/dynamic-shapes.md). A model input may have free dims (-1 in the IR: an
 * ONNX `dim_param` such as a dynamic batch, height or width). WebGPU executors need every dim, so they are built per
 * input-shape signature; this module decides which shapes are known at create (and may be built then), checks the
 * `inputShapes` option, and names signatures.
 */
import { GraphError, type GraphMetadata, type ValueInfo } from '../graph/ir.js';
import { InputError } from '../backends/cpu/index.js';

export type InputShapes = Record<string, number[]>;

export const shapeText = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/** Whether concrete `shape` is one the declared (possibly -1) shape allows: same rank, static dims equal, free dims ≥ 1. */
export function fitsDeclared(declared: readonly number[], shape: readonly number[]): boolean {
  return shape.length === declared.length && declared.every((d, i) => (d < 0 ? Number.isInteger(shape[i]) && shape[i]! > 0 : d === shape[i]));
}

/**
 * Checks the `inputShapes` session option against the model inputs and returns a copy. Throws InputError naming
 * the input for an unknown name, a malformed shape, or one that contradicts the model's declared shape.
 */
export function checkInputShapesOption(inputs: readonly ValueInfo[], option: unknown): InputShapes {
  if (option === null || typeof option !== 'object' || Array.isArray(option))
    throw new InputError('inputShapes must be an object { inputName: number[] }, e.g. { input: [1, 3, 224, 224] }');
  const byName = new Map(inputs.map((i) => [i.name, i]));
  const out: InputShapes = {};
  for (const [name, shape] of Object.entries(option as Record<string, unknown>)) {
    const info = byName.get(name);
    if (!info) throw new InputError(`inputShapes names an unknown input; the model expects ${[...byName.keys()].map((n) => `'${n}'`).join(', ')}`, name);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d > 0))
      throw new InputError(`inputShapes gives ${JSON.stringify(shape)}; expected an array of positive integers`, name);
    if (!fitsDeclared(info.shape, shape))
      throw new InputError(`inputShapes gives ${shapeText(shape)}, which does not match the model's ${shapeText(info.shape)} (-1 = any)`, name);
    out[name] = [...(shape as number[])];
  }
  return out;
}

/**
 * The shape of one input when it is known without seeing data, or undefined. Known means: given by the caller; or
 * static in the model; or only the batch (dim 0) free — batch 1 is a size every such model runs at, so it is built
 * at create as before (cold start); or an NCHW input whose free C/H/W the model's metadata `inputSize` ([C, H, W])
 * gives, at batch 1. Any other free dim (a symbolic height, a sequence length) is never guessed: a guess such as 1
 * can be a size the model cannot run at (a pooling output of 0×0), which would fail create for a valid model.
 */
function knownShape(info: ValueInfo, given: number[] | undefined, metadata: GraphMetadata, single: boolean): number[] | undefined {
  if (given) return given;
  const shape = info.shape;
  if (shape.every((d) => d >= 0)) return [...shape];
  if (shape.slice(1).every((d) => d >= 0)) return [1, ...shape.slice(1)];
  const size = metadata.inputSize;
  // Only for the one image input: the metadata describes "the" input (src/io/preprocess.ts inputGeometry).
  if (!single || shape.length !== 4 || !Array.isArray(size) || size.length !== 3 || !size.every((d) => Number.isInteger(d) && d > 0)) return undefined;
  const chw = shape.slice(1).map((d, i) => (d >= 0 ? d : size[i]!));
  return [shape[0]! >= 0 ? shape[0]! : 1, ...chw];
}

/**
 * Shapes of every model input to build an executor at when the session is created, or undefined when some input has
 * a free dim that nothing determines (the executor is then built by the first run, at that run's shapes). With an
 * `inputShapes` option every input must end up known: the caller asked for a build at create.
 */
export function createShapes(inputs: readonly ValueInfo[], metadata: GraphMetadata, given?: InputShapes): InputShapes | undefined {
  const out: InputShapes = {};
  for (const info of inputs) {
    const shape = knownShape(info, given?.[info.name], metadata, inputs.length === 1);
    if (!shape) {
      if (given) throw new InputError(`inputShapes gives no shape for it and its shape ${shapeText(info.shape)} has free dims (-1): give one`, info.name);
      return undefined;
    }
    out[info.name] = shape;
  }
  return out;
}

/** The key of an input-shape signature, e.g. 'input:1x3x224x224' (inputs in model order). */
export function signatureKey(inputs: readonly ValueInfo[], shapes: InputShapes): string {
  return inputs.map((i) => `${i.name}:${shapes[i.name]!.join('x')}`).join('|');
}

/**
 * The InputError for a signature the model cannot run at (shape inference failed: e.g. a pooling window larger than
 * its padded input). Names the input size and keeps the GraphError (which names the node) as `cause`.
 */
export function unrunnableShapeError(inputs: readonly ValueInfo[], shapes: InputShapes, cause: GraphError): InputError {
  const single = inputs.length === 1 ? inputs[0]!.name : undefined;
  const at = single !== undefined ? `shape ${shapeText(shapes[single]!)}` : `input shapes ${inputs.map((i) => `'${i.name}' ${shapeText(shapes[i.name]!)}`).join(', ')}`;
  return Object.assign(new InputError(`the model cannot run at ${at}: ${cause.message}`, single), { cause });
}
