import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ProcStatParseError, descendants, findGpuProcess, isGpuProcessCmdline, parseProcStat, processCpuMs } from '../../bench/process_cpu.js';

describe('process CPU time (/proc)', () => {
  it('parses pid, ppid and utime + stime, counting fields from the last ")" of the command name', () => {
    // Fields: pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
    const line = '4242 (chro) me (x)) S 17 4242 4242 0 -1 4194560 100 0 0 0 731 29 0 0 20 0 12 0 555 1000 200';
    expect(parseProcStat(line)).toEqual({ pid: 4242, ppid: 17, cpuTicks: 760 });
  });

  it('rejects lines without the documented layout', () => {
    expect(() => parseProcStat('garbage')).toThrow(ProcStatParseError);
    expect(() => parseProcStat('12 (short) S 1 2')).toThrow(ProcStatParseError);
  });

  it('recognises the GPU process with NUL- or space-separated arguments, and only by the whole flag', () => {
    expect(isGpuProcessCmdline('/usr/lib/chromium/chromium\0--type=gpu-process\0--no-sandbox\0')).toBe(true);
    expect(isGpuProcessCmdline('/usr/lib/chromium/chromium --type=gpu-process --no-sandbox')).toBe(true);
    expect(isGpuProcessCmdline('/usr/lib/chromium/chromium --type=renderer --no-sandbox')).toBe(false);
    expect(isGpuProcessCmdline('/usr/lib/chromium/chromium --type=gpu-process-helper')).toBe(false);
    expect(isGpuProcessCmdline('')).toBe(false);
  });

  it('lists descendants breadth first, not siblings or ancestors, and survives a parent cycle', () => {
    const parentOf = new Map<number, number>([
      [10, 1], // root
      [11, 10],
      [12, 10],
      [13, 11],
      [20, 1], // sibling of root: not a descendant
      [30, 31], // cycle unrelated to root
      [31, 30],
    ]);
    expect(descendants(10, parentOf)).toEqual([11, 12, 13]);
    expect(descendants(13, parentOf)).toEqual([]);
    expect(descendants(30, parentOf)).toEqual([31]);
  });

  it('reads this process\'s own CPU time where /proc exists, and finds no GPU process under a plain test', () => {
    if (!existsSync('/proc/self/stat')) {
      expect(processCpuMs(process.pid)).toBeUndefined();
      return;
    }
    const before = processCpuMs(process.pid)!;
    let x = 0;
    const t = performance.now();
    while (performance.now() - t < 60) x += Math.sqrt(x + 1); // burn ~60 ms of CPU
    const after = processCpuMs(process.pid)!;
    expect(x).toBeGreaterThan(0);
    expect(after).toBeGreaterThanOrEqual(before);
    expect(processCpuMs(2 ** 22 + 12345)).toBeUndefined(); // above pid_max: no such process
    expect(findGpuProcess(process.pid)).toBeUndefined();
  });
});
