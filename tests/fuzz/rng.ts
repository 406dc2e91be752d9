/** Seeded PRNG for the fuzzer (mulberry32): every case is reproducible from (seed, case index). */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Case i of run `seed`: independent streams so that a single case can be replayed on its own. */
  static forCase(seed: number, index: number): Rng {
    let h = Math.imul((seed ^ 0x9e3779b9) >>> 0, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
    h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
    h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
    return new Rng((h ^ (h >>> 16)) >>> 0);
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick on an empty list');
    return items[this.int(items.length)]!;
  }

  /** Pick by weight: entries are [weight, value]. */
  weighted<T>(entries: readonly (readonly [number, T])[]): T {
    const total = entries.reduce((s, [w]) => s + w, 0);
    let r = this.next() * total;
    for (const [w, v] of entries) {
      if ((r -= w) < 0) return v;
    }
    return entries[entries.length - 1]![1];
  }
}

/** Integers that break naive size arithmetic: zero, negatives, i32/u32/2^53 edges, "big enough to allocate". */
export const HOSTILE_INTS: readonly number[] = [
  0, -1, -2, 1, 2, 3, 7, 255, 65_535, 65_536, 100_000, 1e9, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 1e15,
  2 ** 53 - 1, -(2 ** 31), -(2 ** 53 - 1), -1e9,
];

/** Floats that break numeric code. */
export const HOSTILE_FLOATS: readonly number[] = [NaN, Infinity, -Infinity, 0, -0, 1e38, -1e38, 3.4e38, 1e-45, 1e-40, 65504, 65520];

/** Knobs that trade depth of coverage for speed; the worker sets them from the profile (CI keeps deep chains rare). */
export const FUZZ_TUNING = {
  /** [weight, depth] of the deep-chain mutations; a depth of 0 means "uniform in 2..1000". */
  chainDepths: [
    [60, 0],
    [30, 20_000],
    [8, 65_536],
    [2, 100_000],
  ] as [number, number][],
};

export function chainDepth(rng: Rng): number {
  const d = rng.weighted(FUZZ_TUNING.chainDepths);
  if (d === 0) return rng.range(2, 1000);
  return d <= 20_000 ? rng.range(1001, d) : d;
}

/** Profile `ci`: deep chains stay rare and shorter so 5,000 cases fit in about a minute. */
export function useCiTuning(): void {
  FUZZ_TUNING.chainDepths = [
    [90, 0],
    [9, 5000],
    [1, 65_536],
  ];
}

/** Runs one mutation step; a step that does not apply to an already-mutated model is skipped, not fatal. */
export function applyStep(step: () => string): string {
  try {
    return step();
  } catch (e) {
    return `(step skipped: ${(e as Error).message.slice(0, 60)})`;
  }
}
