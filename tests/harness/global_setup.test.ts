/** The suite's browser check (tests/harness/global_setup.ts): one message naming the install command. */
import { writeFileSync, chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import setup, { chromiumProblem } from './global_setup.js';

describe('global setup: Chromium check', () => {
  it('reports a missing or broken browser, and accepts one that starts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-chromium-'));
    expect(chromiumProblem(join(dir, 'none'))).toMatch(/no executable Chromium at .*none/);
    const broken = join(dir, 'broken');
    writeFileSync(broken, '#!/bin/sh\nexit 3\n');
    chmodSync(broken, 0o755);
    expect(chromiumProblem(broken)).toMatch(/does not start/);
    const fake = join(dir, 'fake');
    writeFileSync(fake, '#!/bin/sh\necho Chromium 1.0\n');
    chmodSync(fake, 0o755);
    expect(chromiumProblem(fake)).toBeUndefined();
  });

  it('stops the run with the install command', () => {
    const saved = process.env['TESSERA_CHROMIUM'];
    process.env['TESSERA_CHROMIUM'] = '/nonexistent/chromium';
    try {
      expect(() => setup()).toThrow(/apt-get update && apt-get install -y chromium/);
    } finally {
      if (saved === undefined) delete process.env['TESSERA_CHROMIUM'];
      else process.env['TESSERA_CHROMIUM'] = saved;
    }
  });
});
