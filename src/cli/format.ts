/** Number and table formatting for CLI output. */

/** 1234567 → `1,234,567`. */
export function thousands(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** 1.25e12 → `1.25 T`, 40960 → `40.96 K`. */
export function si(n: number, digits = 2): string {
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  for (const [v, u] of units) if (Math.abs(n) >= v) return `${(n / v).toFixed(digits)} ${u}`;
  return String(Math.round(n));
}

export function bytesText(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(2)} MiB (${thousands(n)} bytes)`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB (${thousands(n)} bytes)`;
  return `${n} bytes`;
}

export function shapeText(shape: readonly number[]): string {
  return `[${shape.map((d) => (d < 0 ? '?' : String(d))).join(', ')}]`;
}

/** Left-aligned text columns, right-aligned where `numeric[i]`. */
export function table(header: string[], rows: string[][], numeric: boolean[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

/** `seconds` as `1h02m`, `3m05s` or `42s`. */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}
