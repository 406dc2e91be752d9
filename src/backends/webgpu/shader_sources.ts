/**
 * Every WGSL shader body the engine can build a program from: the files of shaders/ (embedded in shaders.gen.ts) and
 * the shaders generated in TS from parameter sets and shared snippets (conv_wgsl.ts, depthwise_wgsl.ts,
 * matmul_wgsl.ts, splitk_wgsl.ts, reduce_wgsl.ts). program.ts looks `ProgramSpec.shader` up here.
 */
import { SHADERS } from './shaders.gen.js';
import { CONV_SHADERS } from './conv_wgsl.js';
import { DEPTHWISE_SHADERS } from './depthwise_wgsl.js';
import { SPLITK_SHADERS } from './splitk_wgsl.js';
import { MATMUL_SHADERS } from './matmul_wgsl.js';
import { REDUCE_SHADERS } from './reduce_wgsl.js';

export const SHADER_SOURCES = { ...SHADERS, ...CONV_SHADERS, ...DEPTHWISE_SHADERS, ...MATMUL_SHADERS, ...SPLITK_SHADERS, ...REDUCE_SHADERS } as const;

export type ShaderName = keyof typeof SHADER_SOURCES;
