/** Node side of the WebGPU tests: one Chromium page per test file with the test bundle loaded. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBrowserSession, type BrowserSession } from '../../src/node/browser_harness.js';
import type { CaseResult, GraphCase, GraphCaseResult, NodeCase } from './browser_test_entry.js';

export type { CaseResult, NodeCase, CaseInput, GraphCase, GraphCaseResult } from './browser_test_entry.js';

export const TEST_ENTRY = join(dirname(fileURLToPath(import.meta.url)), 'browser_test_entry.ts');

export function startTestBrowser(): Promise<BrowserSession> {
  return startBrowserSession({ entry: TEST_ENTRY });
}

/** Runs all cases in one page.evaluate. */
export function runCases(session: BrowserSession, cases: NodeCase[]): Promise<CaseResult[]> {
  return session.page.evaluate((cs) => (globalThis as unknown as { tesseraTest: { runCases(c: NodeCase[]): Promise<CaseResult[]> } }).tesseraTest.runCases(cs), cases);
}

/** Runs small multi-node graphs (CPU executor vs WebGPU executor with the memory plan) in one page.evaluate. */
export function runGraphCases(session: BrowserSession, cases: GraphCase[]): Promise<GraphCaseResult[]> {
  return session.page.evaluate(
    (cs) => (globalThis as unknown as { tesseraTest: { runGraphCases(c: GraphCase[]): Promise<GraphCaseResult[]> } }).tesseraTest.runGraphCases(cs),
    cases,
  );
}

/** Tolerance of every kernel-vs-CPU comparison (relative L2). */
export const REL_L2_TOL = 1e-4;

/** One readable line per failing case (empty when all pass). */
export function failures(results: CaseResult[], tol = REL_L2_TOL): string[] {
  return results
    .filter((r) => !r.ok || !(r.relL2 <= tol))
    .map((r) => `${r.label}: ${r.error ?? `relL2=${r.relL2} maxAbs=${r.maxAbs} cpu=[${r.cpuShape}] gpu=[${r.gpuShape}]`}`);
}
