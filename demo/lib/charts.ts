/** The top-5 bars and the per-layer timing chart, as plain DOM (no chart library). */
import type { LayerProfile } from '../../src/worker/layer_profile.js';
import { el, formatMs, formatSi } from './dom.js';
import type { Ranked } from './predictions.js';

export function renderTop5(list: HTMLElement, ranked: Ranked[]): void {
  list.replaceChildren(
    ...ranked.map((r) => {
      const pct = (r.probability * 100).toFixed(1);
      return el('li', { 'data-label': r.label, 'data-probability': String(r.probability) }, [
        el('span', { class: 'label', text: r.label }),
        el('span', { class: 'bar' }, [el('span', { class: 'fill', style: `display:block;width:${Math.max(0.5, r.probability * 100)}%` })]),
        el('span', { class: 'pct', text: `${pct} %` }),
      ]);
    }),
  );
}

const OP_COLORS: Record<string, string> = {
  Conv: '#2f6fde',
  FusedConv: '#2f6fde',
  BinaryConv: '#8a3fd1',
  Gemm: '#d1783f',
  FusedGemm: '#d1783f',
  MatMul: '#d1783f',
  Add: '#1f8a4c',
  Relu: '#7aa35a',
  Pad: '#8c5a2b',
  Slice: '#b0a13a',
  GlobalAveragePool: '#c04a6e',
  MaxPool: '#c04a6e',
  AveragePool: '#c04a6e',
};
const colorOf = (op: string) => OP_COLORS[op] ?? '#8a94a3';

/**
 * One bar per layer in graph order. With timings the bars are milliseconds; without (WebGPU with no timestamp-query)
 * they show each layer's MACs instead, and the note says so.
 */
export function renderLayerChart(chart: HTMLElement, note: HTMLElement, profile: LayerProfile): void {
  const timed = profile.timing !== 'unavailable';
  const value = (l: LayerProfile['layers'][number]) => (timed ? (l.ms ?? 0) : l.macs);
  const max = Math.max(1e-9, ...profile.layers.map(value));
  const total = profile.layers.reduce((s, l) => s + (l.ms ?? 0), 0);
  const source =
    profile.timing === 'gpu-timestamps'
      ? 'GPU timestamps'
      : profile.timing === 'cpu-wall-clock'
        ? 'CPU wall clock per layer'
        : 'this GPU gives no timestamp queries, so bars show each layer’s multiply-accumulates instead of time';
  note.textContent = timed
    ? `${profile.layers.length} layers on ${profile.backend.toUpperCase()}, ${formatMs(total)} in layers, ${formatMs(profile.wallMs)} for the whole run (${source}).`
    : `${profile.layers.length} GPU dispatches, ${formatMs(profile.wallMs)} for the whole run; ${source}.`;
  const ops = [...new Set(profile.layers.map((l) => l.op))];
  const legend = el('div', { class: 'legend' }, ops.map((op) => el('span', { style: `--c:${colorOf(op)}`, text: op })));
  const rows = profile.layers.map((l) =>
    el('div', { class: 'layer', title: `${l.node} (${l.op}, kernel ${l.kernel}): ${formatSi(l.macs)}MAC${l.ms !== null ? `, ${formatMs(l.ms)}` : ''}` }, [
      el('span', { class: 'name', text: l.node }),
      el('span', { class: 'bar' }, [el('span', { class: 'fill', style: `display:block;width:${(value(l) / max) * 100}%;background:${colorOf(l.op)}` })]),
      el('span', { class: 'value', text: timed ? formatMs(l.ms ?? 0) : `${formatSi(l.macs)}MAC` }),
    ]),
  );
  chart.replaceChildren(legend, ...rows);
  chart.dataset['layers'] = String(profile.layers.length);
  chart.dataset['timing'] = profile.timing;
}
