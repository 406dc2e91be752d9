/**
 * The parent side of the Node host (`npm run bench -- --host node`): picks the Vulkan ICD (bench/node_icd.ts), probes
 * the adapter Dawn finds, and runs each job as a child process (bench/node_job.ts) with a timeout, so a Dawn abort
 * or hang fails that job only, with the tail of its stderr in the result.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseVulkanIcd, fallbackAfterProbe, gatherIcdFacts, type IcdChoice } from './node_icd.js';
import type { AdapterSummary } from './node_gpu.js';
import type { NodeJobRequest, NodeProbeResult } from './node_job.js';
import { REPO_ROOT } from './models.js';

const JOB_ENTRY = join(REPO_ROOT, 'bench', 'node_job.ts');

/** Lines of a child's stderr worth keeping: the last `n`, without Dawn's harmless XDG_RUNTIME_DIR complaint. */
export function stderrTail(text: string, n = 12): string {
  const lines = text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l && !/XDG_RUNTIME_DIR is invalid or not set/.test(l))
    // Minified bundles print whole source lines with a stack trace; cut them so the tail stays readable.
    .map((l) => (l.length > 300 ? `${l.slice(0, 300)}…` : l));
  return lines.slice(-n).join('\n');
}

export interface ChildOutcome<T> {
  result?: T;
  /** Why there is no result: exit code / signal / timeout, with the stderr tail. */
  error?: string;
  stderr: string;
  wallMs: number;
}

/** Runs one request in a child process; never throws. */
export async function runNodeChild<T>(req: NodeJobRequest, opts: { env: NodeJS.ProcessEnv; timeoutSeconds: number; onStderr?: (s: string) => void }): Promise<ChildOutcome<T>> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-job-'));
  const specPath = join(dir, 'spec.json');
  const resultPath = join(dir, 'result.json');
  writeFileSync(specPath, JSON.stringify(req));
  const t0 = performance.now();
  try {
    // TESSERA_NODE_JOB: a bundled node_job.mjs (the GPU report's pack, tools/gpu_report_pack.ts: no tsx there).
    const job = process.env['TESSERA_NODE_JOB'] ? [process.env['TESSERA_NODE_JOB']] : ['--import', 'tsx', JOB_ENTRY];
    const child = spawn(process.execPath, [...job, specPath, resultPath], { cwd: REPO_ROOT, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.length > 1 << 20) stderr = stderr.slice(-(1 << 19));
      opts.onStderr?.(d.toString());
    });
    child.stdout.on('data', (d: Buffer) => opts.onStderr?.(d.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutSeconds * 1000);
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.on('close', (c, s) => resolve({ code: c, signal: s }));
      child.on('error', () => resolve({ code: -1, signal: null }));
    });
    clearTimeout(timer);
    const wallMs = performance.now() - t0;
    let result: T | undefined;
    try {
      result = JSON.parse(readFileSync(resultPath, 'utf8')) as T;
    } catch {
      result = undefined;
    }
    if (result !== undefined) return { result, stderr, wallMs };
    const how = timedOut ? `timed out after ${opts.timeoutSeconds} s` : signal ? `killed by ${signal}` : `exited with code ${code}`;
    const tail = stderrTail(stderr);
    return { error: `job process ${how} without a result${tail ? `; stderr tail:\n${tail}` : ''}`, stderr, wallMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface NodeHostSetup {
  /** Environment for every job process. */
  env: NodeJS.ProcessEnv;
  icd: IcdChoice;
  adapter: AdapterSummary | null;
  features?: string[];
  /** Set when no adapter was found (jobs would all fail). */
  error?: string;
}

/** Chooses the ICD and probes Dawn's adapter in a child (retrying with SwiftShader when nothing was found). */
export async function setUpNodeHost(log: (s: string) => void, timeoutSeconds = 120): Promise<NodeHostSetup> {
  const facts = gatherIcdFacts();
  let icd = chooseVulkanIcd(facts);
  const envFor = (c: IcdChoice): NodeJS.ProcessEnv => (c.vkIcdFilenames ? { ...process.env, VK_ICD_FILENAMES: c.vkIcdFilenames } : { ...process.env });
  log(`  node host: ${icd.reason}`);
  let probe = await runNodeChild<NodeProbeResult>({ kind: 'probe' }, { env: envFor(icd), timeoutSeconds });
  const fallback = fallbackAfterProbe(icd, facts, !!probe.result?.adapter);
  if (fallback) {
    log(`  node host: ${fallback.reason}`);
    icd = fallback;
    probe = await runNodeChild<NodeProbeResult>({ kind: 'probe' }, { env: envFor(icd), timeoutSeconds });
  }
  const adapter = probe.result?.adapter ?? null;
  const error = adapter ? undefined : probe.error ?? 'Dawn found no WebGPU adapter';
  return { env: envFor(icd), icd, adapter, features: probe.result?.features, error };
}
