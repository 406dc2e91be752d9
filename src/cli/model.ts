/** Load a model file (.onnx or .tessera, told apart by the file's magic) into a Graph with metadata filled in. */
import { extname } from 'node:path';
import { isTessera, readTessera, readTesseraHeader } from '../format/index.js';
import type { Graph } from '../graph/ir.js';
import { importOnnx } from '../import/onnx/index.js';
import { readInputFile } from './files.js';
import { metadataFromProps } from './metadata.js';

export interface LoadedModel {
  path: string;
  format: 'onnx' | 'tessera';
  fileBytes: number;
  graph: Graph;
  /** .tessera only: the container's format version. */
  formatVersion?: number;
}

export interface LoadOptions {
  /** Pin graph input shapes (ONNX import only), e.g. a batch size or a spatial size of a dynamic model. */
  inputShapes?: Record<string, number[]>;
}

export function loadModel(path: string, what = 'model file', options: LoadOptions = {}): LoadedModel {
  const bytes = readInputFile(path, what);
  if (isTessera(bytes) || extname(path).toLowerCase() === '.tessera') {
    // A .tessera name without the magic still goes to the reader, whose FormatError says what is wrong.
    const graph = readTessera(bytes);
    const formatVersion = readTesseraHeader(bytes, { verifyHash: false }).formatVersion;
    return { path, format: 'tessera', fileBytes: bytes.length, graph, formatVersion };
  }
  const graph = importOnnx(bytes, options.inputShapes ? { inputShapes: options.inputShapes } : {});
  graph.metadata = metadataFromProps(graph.metadata, graph.metadata.provenance);
  return { path, format: 'onnx', fileBytes: bytes.length, graph };
}

/** The graph's single image input (initializers listed as inputs by old ONNX files are skipped). */
export function mainInput(graph: Graph) {
  const real = graph.inputs.filter((i) => !graph.initializers.has(i.name));
  return real[0] ?? graph.inputs[0]!;
}
