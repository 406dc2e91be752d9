/**
 * Public face of the graph layer's op knowledge: the shape rule table, shape inference, validation, and the
 * parameter helpers backends reuse (conv / pool params, broadcasting, slice normalisation...).
 */
export { shapeRules, registerShapeRule } from './registry.js';
export { inferShapes } from '../infer.js';
export { validateGraph, topoSort } from '../validate.js';
export type { InputInfo, OutputInfo, ShapeRule } from './types.js';
export { convParams, convOutputSpatial, resolveConvPads, type ConvParams } from './conv.js';
export { convTransposeParams, convTransposeFullSize, type ConvTransposeParams } from './conv_transpose.js';
export { poolParams, poolOutputSize, poolOutputSpatial, type PoolParams } from './pool.js';
export { autoPads, effectiveKernel, parseAutoPad, windowOutputSize, type AutoPad } from './window.js';
export { broadcastShapes } from './elementwise.js';
export { normalizeSlice, reshapeShape, type NormalizedSlice } from './shape_ops.js';
export { reduceAxes } from './reduce.js';
export { gemmDims, matmulShape, type GemmDims } from './gemm.js';
export { softmaxAxis } from './softmax.js';
export { normalizeAxis, normalizeAxes } from './common.js';
