/**
 * CPU time of Chromium's GPU process (Linux /proc), for benchmarks on SwiftShader.
 *
 * Why: with WebGPU emulated on the CPU, a run's wall time on a shared, loaded machine mostly measures how long the
 * scheduler kept the GPU process waiting (the same DenseNet-121 configuration ran 5.6–13.2 s in one session at load
 * average 13–19 on 2 cores). The user + system CPU time the GPU process spends during a run is the work the run
 * needed, nearly independent of other jobs (it varied by ±3 % where wall time varied by ±40 %), so A/B ratios taken
 * on it are meaningful where wall-time ratios are not. Everywhere else (no /proc, no GPU process found) the
 * functions return undefined and callers report wall time only.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';

/** Fields of /proc/<pid>/stat this module needs. */
export interface ProcStat {
  pid: number;
  ppid: number;
  /** User + system CPU time in clock ticks. */
  cpuTicks: number;
}

/** Thrown for a /proc/<pid>/stat line that does not have the documented layout. */
export class ProcStatParseError extends Error {
  override name = 'ProcStatParseError';
}

/**
 * Parses one /proc/<pid>/stat line. The command name (field 2) is in parentheses and may itself contain spaces or
 * ')', so fields are counted from the LAST ')'.
 */
export function parseProcStat(line: string): ProcStat {
  const close = line.lastIndexOf(')');
  const pid = Number.parseInt(line, 10);
  if (close < 0 || !Number.isInteger(pid)) throw new ProcStatParseError(`not a /proc/<pid>/stat line: ${JSON.stringify(line.slice(0, 80))}`);
  // After ") ": state(3) ppid(4) ... utime(14) stime(15): indices 0, 1, ..., 11, 12 here.
  const f = line.slice(close + 2).trim().split(/\s+/);
  const ppid = Number(f[1]);
  const utime = Number(f[11]);
  const stime = Number(f[12]);
  if (![ppid, utime, stime].every(Number.isFinite)) throw new ProcStatParseError(`/proc/${pid}/stat has too few fields`);
  return { pid, ppid, cpuTicks: utime + stime };
}

/** Every pid below `root` in the parent map (children, grandchildren...), breadth first. */
export function descendants(root: number, parentOf: ReadonlyMap<number, number>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parentOf) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const out: number[] = [];
  const queue = [root];
  const seen = new Set<number>([root]);
  while (queue.length) {
    for (const c of children.get(queue.shift()!) ?? []) {
      if (seen.has(c)) continue;
      seen.add(c);
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process exited, or /proc is not readable
  }
};

/**
 * Whether a /proc/<pid>/cmdline is a Chromium GPU process. Chromium rewrites its process title, so the arguments
 * come back NUL- or space-separated.
 */
export function isGpuProcessCmdline(cmdline: string): boolean {
  return cmdline.split(/[\0 ]/).includes('--type=gpu-process');
}

/** The pid of a Chromium GPU process started (directly or not) by this Node process, or undefined. */
export function findGpuProcess(root: number = process.pid): number | undefined {
  if (!existsSync('/proc/self/stat')) return undefined;
  const parentOf = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const stat = read(`/proc/${d}/stat`);
    if (stat !== undefined) parentOf.set(Number(d), parseProcStat(stat).ppid);
  }
  return descendants(root, parentOf).find((pid) => isGpuProcessCmdline(read(`/proc/${pid}/cmdline`) ?? ''));
}

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100; // USER_HZ on every mainstream Linux build
    }
  }
  return ticksPerSecond;
}

/** User + system CPU milliseconds `pid` has used so far (resolution: one clock tick, 10 ms), or undefined. */
export function processCpuMs(pid: number): number | undefined {
  const stat = read(`/proc/${pid}/stat`);
  return stat === undefined ? undefined : (parseProcStat(stat).cpuTicks * 1000) / clockTicks();
}
