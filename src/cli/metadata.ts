/**
 * Model metadata for preprocessing and labels: read from ONNX `metadata_props` (as exporters write them) and from
 * `convert` flags, flags winning.
 */
import type { GraphMetadata } from '../graph/ir.js';
import { CliError } from './errors.js';

/** Keys accepted in ONNX metadata_props, per field (lower-cased, `-` and `_` ignored). */
const KEYS: Record<string, string[]> = {
  labels: ['labels', 'classlabels', 'classnames', 'classes'],
  mean: ['mean', 'normmean', 'normalizemean', 'pixelmean'],
  std: ['std', 'normstd', 'normalizestd', 'pixelstd'],
  inputSize: ['inputsize', 'inputshape'],
  pixelScale: ['pixelscale', 'scale'],
  colorOrder: ['colororder', 'colorformat', 'channelorder'],
  name: ['name', 'modelname'],
};

const canon = (k: string) => k.toLowerCase().replace(/[-_\s.]/g, '');

/** The importer keeps ONNX metadata_props in `provenance` as `meta.<key>`; other provenance keys are its own. */
const PROP_PREFIX = 'meta.';

function findProp(props: Record<string, string>, field: string): [string, string] | undefined {
  const wanted = KEYS[field]!;
  for (const [k, v] of Object.entries(props)) {
    if (k.startsWith(PROP_PREFIX) && wanted.includes(canon(k.slice(PROP_PREFIX.length)))) return [k.slice(PROP_PREFIX.length), v];
  }
  return undefined;
}

/** `[1, 2, 3]`, `1,2,3`, `1 2 3` or `(1, 2, 3)`. */
function parseNumbers(text: string, where: string): number[] {
  const parts = text
    .replace(/[[\]()]/g, ' ')
    .split(/[,\s]+/)
    .filter((s) => s.length > 0);
  const nums = parts.map((p) => {
    const frac = /^([^/]+)\/([^/]+)$/.exec(p);
    return frac ? Number(frac[1]) / Number(frac[2]) : Number(p);
  });
  if (nums.length === 0 || nums.some((n) => !Number.isFinite(n))) throw new CliError(`${where}: '${text}' is not a list of numbers`);
  return nums;
}

/** Labels as a JSON array, or one per line, or comma-separated. */
function parseLabels(text: string): string[] {
  const t = text.trim();
  if (t.startsWith('[')) {
    try {
      const v: unknown = JSON.parse(t);
      if (Array.isArray(v)) return v.map(String);
    } catch {
      // fall through to the plain-text forms
    }
  }
  const sep = t.includes('\n') ? /\r?\n/ : /,/;
  return t
    .split(sep)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * Fill metadata fields from ONNX metadata_props, found in `metadata.provenance` as `meta.<key>` (the importer's
 * convention). Fields already set are left alone, except `name`: an explicit metadata name beats the graph name.
 */
export function metadataFromProps(meta: GraphMetadata, props: Record<string, string> | undefined): GraphMetadata {
  if (!props) return meta;
  const out: GraphMetadata = { ...meta };
  const where = (k: string) => `ONNX metadata_props '${k}'`;
  const labels = findProp(props, 'labels');
  if (labels && out.labels === undefined) out.labels = parseLabels(labels[1]);
  for (const field of ['mean', 'std', 'inputSize'] as const) {
    const p = findProp(props, field);
    if (p && out[field] === undefined) out[field] = parseNumbers(p[1], where(p[0]));
  }
  const scale = findProp(props, 'pixelScale');
  if (scale && out.pixelScale === undefined) out.pixelScale = parseNumbers(scale[1], where(scale[0]))[0];
  const order = findProp(props, 'colorOrder');
  if (order && out.colorOrder === undefined) {
    const o = order[1].trim().toUpperCase();
    if (o === 'RGB' || o === 'BGR' || o === 'GRAY') out.colorOrder = o;
  }
  const name = findProp(props, 'name');
  if (name) out.name = name[1];
  return out;
}

export { parseLabels };
