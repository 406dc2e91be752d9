/** Tessera: WebGPU runtime for CNN image classifiers (ONNX and .tessera models), in browsers and in Node. */
export * from './runtime/index.js';
export { importOnnx, OnnxImportError, UnsupportedOpsError, type ImportOnnxOptions } from './import/onnx/index.js';
export { readTessera, writeTessera, isTessera, FormatError } from './format/index.js';
export { CpuExecutor, cpuKernels, ExecutionError } from './backends/cpu/index.js';
export { optimize, type OptimizeOptions } from './graph/passes/index.js';
export { inferShapes } from './graph/infer.js';
export { WebGPUUnavailableError, WebGPUDeviceError, acquireGpu, sharedGpu, type GpuContext } from './backends/webgpu/device.js';
export { WebGPUExecutor, type DispatchInfo } from './backends/webgpu/executor.js';
export { WebGPUKernelError, WebGPULimitError } from './backends/webgpu/program.js';
export { webgpuSupports } from './backends/webgpu/kernels.js';
export { memoryTuningCache, indexedDbTuningCache, fileTuningCache, type TuningCache } from './cache/tuning_cache.js';
export { loadCached, streamCached, type LoadCachedOptions, type StreamCachedResult } from './cache/model_cache.js';
export { GraphError } from './graph/ir.js';
export type { Graph, Node, Tensor, ValueInfo, DType, Shape, GraphMetadata } from './graph/ir.js';
