/** Seeded PRNG (mulberry32) shared by the Node and browser sides of the tests. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomF32(count: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = mulberry32(seed);
  const a = new Float32Array(count);
  for (let i = 0; i < count; i++) a[i] = lo + (hi - lo) * r();
  return a;
}

export function randInt(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}
