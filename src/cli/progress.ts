/**
 * Progress of a long job on stderr: a live line (images/s, ETA) when stderr is a terminal, otherwise one plain line
 * every `intervalMs` so logs of CI runs still show that work is happening.
 */
import { duration } from './format.js';
import type { CliIo } from './io.js';

export class Progress {
  private readonly start = Date.now();
  private lastPrint = this.start;

  constructor(
    private readonly io: CliIo,
    private readonly label: string,
    private readonly total: number,
    private readonly intervalMs = io.errIsTTY ? 200 : 10_000,
  ) {}

  update(done: number): void {
    const now = Date.now();
    if (now - this.lastPrint < this.intervalMs || done >= this.total) return;
    this.lastPrint = now;
    const line = this.line(done, now);
    if (this.io.errIsTTY) this.io.status(line);
    else this.io.err(line);
  }

  /** Rate summary for the end of the job. */
  summary(done: number): string {
    const secs = (Date.now() - this.start) / 1000;
    return `${done} images in ${secs.toFixed(1)} s (${(done / Math.max(secs, 1e-9)).toFixed(1)} images/s)`;
  }

  private line(done: number, now: number): string {
    const secs = (now - this.start) / 1000;
    const rate = done / Math.max(secs, 1e-9);
    const eta = rate > 0 ? (this.total - done) / rate : Infinity;
    const pct = ((100 * done) / this.total).toFixed(1);
    return `${this.label}: ${done}/${this.total} images (${pct} %), ${rate.toFixed(1)} images/s, ETA ${duration(eta)}`;
  }
}
