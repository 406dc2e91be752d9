/**
 * In-page half of the Chromium path (runs in the browser bundle). The Node side (webgpu_cli.ts) serves model and
 * input bytes over the harness's HTTP server and calls these through page.evaluate; results come back as plain arrays.
 */
import { Session } from '../runtime/session.js';
import type { Tensor } from '../graph/ir.js';

const sessions = new Map<number, Session>();
let nextId = 1;

export interface PageModelInfo {
  id: number;
  backend: string;
  device: string | undefined;
  inputs: { name: string; shape: number[]; dtype: string }[];
  outputs: { name: string; shape: number[]; dtype: string }[];
  metadata: unknown;
}

export interface PageTensor {
  shape: number[];
  data: number[];
}

async function fetchBytes(url: string): Promise<ArrayBuffer> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`fetch ${url}: HTTP ${res.status}`);
  return res.arrayBuffer();
}

export const pageApi = {
  /**
   * Loads a model. `inputShapes` (SessionOptions.inputShapes) builds the WebGPU executor at those sizes now; without
   * it a model with symbolic sizes is built by its first run, at the real input shape.
   */
  async loadModel(url: string, backend: 'webgpu' | 'cpu' | 'auto' = 'webgpu', inputShapes?: Record<string, number[]>): Promise<PageModelInfo> {
    const session = await Session.create(new Uint8Array(await fetchBytes(url)), { backend, inputShapes });
    const id = nextId++;
    sessions.set(id, session);
    const info = (v: { name: string; shape: readonly number[]; dtype: string }) => ({ name: v.name, shape: [...v.shape], dtype: v.dtype });
    return { id, backend: session.backend, device: session.deviceDescription, inputs: session.inputs.map(info), outputs: session.outputs.map(info), metadata: session.metadata };
  },

  /** Runs once; `feeds` maps input name → { url of raw little-endian f32 bytes, shape }. */
  async run(id: number, feeds: Record<string, { url: string; shape: number[] }>): Promise<Record<string, PageTensor>> {
    const session = sessions.get(id);
    if (!session) throw new Error(`no model ${id} in this page`);
    const tensors: Record<string, Tensor> = {};
    for (const [name, f] of Object.entries(feeds)) tensors[name] = { dtype: 'f32', shape: f.shape, data: new Float32Array(await fetchBytes(f.url)) };
    const out = await session.run(tensors);
    const result: Record<string, PageTensor> = {};
    for (const [name, t] of Object.entries(out)) result[name] = { shape: [...t.shape], data: Array.from(t.data as Float32Array) };
    return result;
  },

  async profile(id: number): Promise<unknown> {
    return sessions.get(id)?.profile();
  },

  release(id: number): void {
    sessions.get(id)?.release();
    sessions.delete(id);
  },
};
