/**
 * Every WGSL shader body the engine can build a program from: the files of shaders/ (embedded in shaders.gen.ts) and
 * the shaders generated in TS from parameter sets (conv_wgsl.ts). program.ts looks `ProgramSpec.shader` up here.
 */
import { SHADERS } from './shaders.gen.js';
import { CONV_SHADERS } from './conv_wgsl.js';

export const SHADER_SOURCES = { ...SHADERS, ...CONV_SHADERS } as const;

export type ShaderName = keyof typeof SHADER_SOURCES;
