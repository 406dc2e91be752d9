/**
 * Runs once before the suite (vitest globalSetup). About a third of the test files drive WebGPU in headless
 * Chromium; without a browser each of them would fail on its own with the same BrowserUnavailableError. Check once,
 * first, and stop the run with one message that says what to install. Never skips: a missing browser is a failure.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { DEFAULT_CHROMIUM } from '../../src/node/browser_harness.js';

export const INSTALL_HINT = 'apt-get update && apt-get install -y chromium   (Debian/Ubuntu; or set TESSERA_CHROMIUM=/path/to/chromium)';

export function chromiumProblem(path: string): string | undefined {
  try {
    accessSync(path, constants.X_OK);
  } catch {
    return `no executable Chromium at ${path}`;
  }
  try {
    execFileSync(path, ['--version'], { stdio: 'pipe', timeout: 30_000 });
  } catch (e) {
    return `Chromium at ${path} does not start (${(e as Error).message.split('\n')[0]})`;
  }
  return undefined;
}

export default function setup(): void {
  const path = process.env['TESSERA_CHROMIUM'] ?? DEFAULT_CHROMIUM;
  const problem = chromiumProblem(path);
  if (problem) {
    throw new Error(
      `The WebGPU tests run in headless Chromium, and ${problem}.\n` +
        `Install it with:\n\n    ${INSTALL_HINT}\n\n` +
        `then run npm test again (bash .ci/run installs it and runs the tests, as CI does).`,
    );
  }
}
