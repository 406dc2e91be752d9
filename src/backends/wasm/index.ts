/** WebAssembly SIMD backend (threads, relaxed SIMD where available): see docs/wasm.md. */
export { WasmExecutor, type WasmExecutorOptions, type WasmInfo, type WasmProfileRow } from './executor.js';
export { wasmFeatures, WasmUnavailableError, type WasmFeatures } from './module.js';
export { WASM_OPS } from './lower.js';
