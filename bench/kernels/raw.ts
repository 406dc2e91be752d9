/** Node driver for raw_page.ts: runs named WGSL experiments interleaved (ABAB...) and prints min / median GFLOP/s. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBrowserSession } from '../../src/node/browser_harness.js';
import type { RawJob } from './raw_page.js';

export interface Experiment extends Omit<RawJob, 'reps'> {
  name: string;
  flops: number;
}

export async function runExperiments(exps: Experiment[], rounds = 3, reps = 2): Promise<void> {
  const here = dirname(fileURLToPath(import.meta.url));
  const s = await startBrowserSession({ entry: join(here, 'raw_page.ts'), args: ['--enable-webgpu-developer-features'] });
  const times = new Map<string, number[]>();
  try {
    for (let r = 0; r < rounds; r++)
      for (const e of exps) {
        const res = await s.page.evaluate((j) => (globalThis as any).rawBench.run(j), { ...e, reps } as RawJob);
        times.set(e.name, [...(times.get(e.name) ?? []), ...res.times]);
        if (r === 0) console.log(`${e.name}: first out ${res.out.slice(0, 4).map((v: number) => v.toFixed(4)).join(' ')}`);
      }
  } finally {
    await s.close();
  }
  for (const e of exps) {
    const t = [...times.get(e.name)!].sort((a, b) => a - b);
    const med = t[t.length >> 1]!;
    console.log(`${e.name.padEnd(40)} min ${t[0]!.toFixed(1)} ms ${(e.flops / t[0]! / 1e6).toFixed(2)} GFLOP/s   median ${(e.flops / med / 1e6).toFixed(2)}`);
  }
}
