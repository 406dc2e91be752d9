/**
 * Interval allocation: "greedy by size" with best fit. Roots are placed largest first; each goes into the
 * smallest gap (offsets aligned) left between already placed roots whose live ranges overlap its own, or on top
 * of them. A new buffer is opened only when a root does not fit under maxBufferBytes in any existing one.
 */
import { PlanError } from './types.js';

export interface AllocationRequest {
  name: string;
  bytes: number;
  /** Inclusive live range in schedule steps. */
  start: number;
  end: number;
}

export interface Allocation {
  buffer: number;
  offset: number;
}

interface Placed extends AllocationRequest, Allocation {}

const alignUp = (x: number, a: number) => Math.ceil(x / a) * a;

function overlaps(a: AllocationRequest, b: AllocationRequest): boolean {
  return a.start <= b.end && b.start <= a.end;
}

/** Best-fit offset for `r` among `placed` of one buffer, or undefined when it would exceed `limit`. */
function bestFit(r: AllocationRequest, placed: Placed[], alignment: number, limit: number): number | undefined {
  const busy = placed.filter((p) => overlaps(p, r)).sort((a, b) => a.offset - b.offset);
  let best: number | undefined;
  let bestWaste = Infinity;
  let cursor = 0;
  for (const p of busy) {
    const start = alignUp(cursor, alignment);
    const gap = p.offset - start;
    if (gap >= r.bytes && gap - r.bytes < bestWaste) {
      best = start;
      bestWaste = gap - r.bytes;
    }
    cursor = Math.max(cursor, p.offset + p.bytes);
  }
  if (best !== undefined) return best;
  const top = alignUp(cursor, alignment);
  return top + r.bytes <= limit ? top : undefined;
}

export function allocate(
  requests: AllocationRequest[],
  alignment: number,
  maxBufferBytes: number,
): { placements: Map<string, Allocation>; bufferBytes: number[] } {
  const order = [...requests].sort((a, b) => b.bytes - a.bytes || a.start - b.start || (a.name < b.name ? -1 : 1));
  const buffers: Placed[][] = [];
  const placements = new Map<string, Allocation>();
  for (const r of order) {
    if (r.bytes > maxBufferBytes) throw new PlanError(`needs ${r.bytes} bytes, more than maxBufferBytes (${maxBufferBytes})`, r.name);
    if (r.bytes === 0) {
      placements.set(r.name, { buffer: 0, offset: 0 });
      continue;
    }
    let chosen: Allocation | undefined;
    for (let b = 0; b < buffers.length && !chosen; b++) {
      const offset = bestFit(r, buffers[b]!, alignment, maxBufferBytes);
      if (offset !== undefined) chosen = { buffer: b, offset };
    }
    if (!chosen) {
      buffers.push([]);
      chosen = { buffer: buffers.length - 1, offset: 0 };
    }
    buffers[chosen.buffer]!.push({ ...r, ...chosen });
    placements.set(r.name, chosen);
  }
  const bufferBytes = buffers.map((placed) => alignUp(Math.max(0, ...placed.map((p) => p.offset + p.bytes)), 4));
  return { placements, bufferBytes };
}
