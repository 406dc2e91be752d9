/** models/index.json: the default models the page offers (written by tools/make_default_models.ts). */

export interface ModelEntry {
  id: string;
  title: string;
  file: string;
  /** Which data set the model classifies: picks the input tools (samples strip or drawing pad) and accuracy run. */
  dataset: 'cifar10' | 'mnist';
  bytes: number;
  sha256: string;
  /** Float weight storage; 'int8' = conv / Gemm weights int8 with per-channel scales (docs/format.md). */
  weights: 'f16' | 'f32' | 'int8';
  /** An int8 offer: the id of the model it was converted from (tools/make_int8_models.ts). */
  int8Of?: string;
  /** Top-1 test accuracy (%) published with the checkpoint. */
  publishedAccuracy?: number;
  pytorchAccuracy?: { correct: number; total: number };
  source?: string;
  license?: string;
}

export const MODELS_BASE = '/models/';

export async function loadManifest(): Promise<ModelEntry[]> {
  const res = await fetch(`${MODELS_BASE}index.json`);
  if (!res.ok) throw new Error(`the model list ${MODELS_BASE}index.json could not be loaded (HTTP ${res.status})`);
  const json = (await res.json()) as { models?: ModelEntry[] };
  if (!Array.isArray(json.models) || json.models.length === 0) throw new Error(`${MODELS_BASE}index.json lists no models`);
  return json.models;
}

export const modelUrl = (m: ModelEntry) => `${MODELS_BASE}${m.file}`;
