/**
 * bench/results/latest.svg: Tessera / min(ORT-web WebGPU, TF.js WebGPU), median and cold, per model. Hand-written
 * SVG (no packages). Bars start at parity (1×) on a log axis: left of the line Tessera is faster, right slower.
 */
import { fmtRatio, gpuRatio, type ModelRow } from './metrics.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Axis labels: 0.01×, 0.2×, 1×, 50×. */
const tick = (v: number) => `${Number(v.toPrecision(1))}×`;

const SERIES = [
  { what: 'median' as const, label: 'steady median', color: '#3b6fb6' },
  { what: 'cold' as const, label: 'cold start (create + first run)', color: '#e08a2c' },
];

export function ratioChartSvg(rows: readonly ModelRow[], subtitle = ''): string {
  const labelW = 190;
  const plotW = 520;
  const right = 30;
  const top = 62;
  const barH = 14;
  const groupH = SERIES.length * (barH + 3) + 12;
  const axisH = 34;
  const width = labelW + plotW + right;
  const height = top + rows.length * groupH + axisH + 8;
  const values = rows.flatMap((r) => SERIES.map((s) => gpuRatio(r, s.what)?.ratio)).filter((v): v is number => v !== undefined && v > 0);
  // Decades around the data, always including parity.
  const lo = Math.min(0, Math.floor(Math.log10(Math.min(1, ...values))));
  const hi = Math.max(0, Math.ceil(Math.log10(Math.max(1, ...values))));
  const span = Math.max(1, hi - lo);
  // Half a decade of room on each side for the value labels next to the bar ends.
  const pad = 0.5;
  const x = (v: number) => labelW + ((Math.log10(v) - lo + pad) / (span + 2 * pad)) * plotW;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  out.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">Tessera time / min(ORT-web WebGPU, TF.js WebGPU) — below 1× Tessera is faster</text>`);
  const sub = subtitle.length > 110 ? `${subtitle.slice(0, 109)}…` : subtitle;
  if (sub) out.push(`<text x="${width / 2}" y="37" text-anchor="middle" fill="#555" font-size="11">${esc(sub)}</text>`);
  SERIES.forEach((s, i) => {
    const lx = labelW + i * 230;
    out.push(`<rect x="${lx}" y="44" width="12" height="10" fill="${s.color}"/><text x="${lx + 16}" y="53">${esc(s.label)}</text>`);
  });
  const plotBottom = top + rows.length * groupH;
  // Grid: decades (solid) and 2× / 5× (light).
  for (let d = lo; d <= hi; d++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** d;
      if (Math.log10(v) > hi + 1e-9) continue;
      const gx = x(v).toFixed(1);
      out.push(`<line x1="${gx}" y1="${top - 4}" x2="${gx}" y2="${plotBottom}" stroke="${m === 1 ? '#bbb' : '#e6e6e6'}"/>`);
      if (m === 1 || span <= 2) out.push(`<text x="${gx}" y="${plotBottom + 16}" text-anchor="middle" fill="#333">${tick(v)}</text>`);
    }
  }
  const one = x(1).toFixed(1);
  out.push(`<line x1="${one}" y1="${top - 6}" x2="${one}" y2="${plotBottom}" stroke="#000" stroke-width="1.5"/>`);
  out.push(`<text x="${labelW + plotW / 2}" y="${plotBottom + 30}" text-anchor="middle" fill="#333">ratio (log scale)</text>`);
  rows.forEach((r, i) => {
    const gy = top + i * groupH;
    out.push(`<text x="${labelW - 8}" y="${gy + groupH / 2}" text-anchor="end" dominant-baseline="middle">${esc(r.model)}</text>`);
    SERIES.forEach((s, k) => {
      const y = gy + 4 + k * (barH + 3);
      const g = gpuRatio(r, s.what);
      if (!g) {
        out.push(`<text x="${Number(one) + 4}" y="${y + barH - 3}" fill="#888">n/a</text>`);
        return;
      }
      const x0 = Math.min(x(1), x(g.ratio));
      const w = Math.max(1, Math.abs(x(g.ratio) - x(1)));
      out.push(`<rect x="${x0.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${s.color}"><title>${esc(`${r.model} ${s.what}: ${fmtRatio(g.ratio)} vs ${g.vs}`)}</title></rect>`);
      const left = g.ratio < 1;
      const tx = left ? x0 - 4 : x0 + w + 4;
      out.push(`<text x="${tx.toFixed(1)}" y="${y + barH - 3}" text-anchor="${left ? 'end' : 'start'}" font-size="11">${esc(`${fmtRatio(g.ratio)} vs ${g.vs}`)}</text>`);
    });
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
