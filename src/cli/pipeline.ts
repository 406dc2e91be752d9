/**
 * The graph rewrites `tessera convert` applies before writing a .tessera file (and that `inspect` previews for an
 * ONNX model): `optimize` (BN folding, epilogue fusion...) then `binarize` (exactly binary layers to bit-packed
 * BinaryConv / BinaryGemm / BinaryWeightConv, and binary convs that feed binary convs write bit-packed words:
 * packBinaryChains). Both are exact rewrites; either can be switched off.
 */
import type { Graph } from '../graph/ir.js';
import { optimize } from '../graph/passes/index.js';
import { binarizeAndPack } from '../graph/passes/pack_binary_chains.js';

export interface PipelineOptions {
  optimize: boolean;
  binarize: boolean;
}

export function convertPipeline(graph: Graph, options: PipelineOptions): Graph {
  let g = graph;
  if (options.optimize) g = optimize(g);
  if (options.binarize) g = binarizeAndPack(g);
  return g;
}
