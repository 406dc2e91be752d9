/** Turning a URL, path or bytes into a graph (.tessera or .onnx, detected from the bytes). */
import type { Graph } from '../graph/ir.js';
import { isTessera, readTessera } from '../format/reader.js';
import { importOnnx } from '../import/onnx/index.js';

export type ModelSource = string | Uint8Array | ArrayBuffer;

/** The model could not be fetched or read. */
export class ModelLoadError extends Error {
  override name = 'ModelLoadError';
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

export async function loadModelBytes(src: ModelSource): Promise<Uint8Array> {
  if (src instanceof Uint8Array) return src;
  if (src instanceof ArrayBuffer) return new Uint8Array(src);
  if (typeof src !== 'string') throw new ModelLoadError('model source must be a URL/path string, a Uint8Array or an ArrayBuffer');
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(src);
  if (isNode && (!hasScheme || src.startsWith('file://'))) {
    const fs = 'node:fs/promises'; // a variable keeps browser bundlers away from node:fs
    const { readFile } = (await import(/* @vite-ignore */ fs)) as typeof import('node:fs/promises');
    const path = src.startsWith('file://') ? new URL(src) : src;
    try {
      return new Uint8Array(await readFile(path));
    } catch (e) {
      throw new ModelLoadError(`cannot read model file ${src}: ${(e as Error).message}`);
    }
  }
  let res: Response;
  try {
    res = await fetch(src);
  } catch (e) {
    throw new ModelLoadError(`cannot fetch model ${src}: ${(e as Error).message}`);
  }
  if (!res.ok) throw new ModelLoadError(`cannot fetch model ${src}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * .tessera when the bytes start with its magic, ONNX protobuf otherwise. f16 weights of a .tessera file stay f16
 * tensors: the WebGPU backend keeps them as halves on the GPU, the CPU backend decodes them once.
 */
export function graphFromBytes(bytes: Uint8Array): { graph: Graph; format: 'tessera' | 'onnx' } {
  if (isTessera(bytes)) return { graph: readTessera(bytes, { keepF16: true }), format: 'tessera' };
  return { graph: importOnnx(bytes), format: 'onnx' };
}
