/**
 * `npm run torchvision-sweep [-- OPTIONS]`: every torchvision 0.14 image and video classifier, exported at opset 17
 * and 14 with random weights, converted, run on the CPU reference and on WebGPU (Node Dawn, SwiftShader here) and
 * compared with PyTorch; results in OUT/results.json and a table in docs/zoo.md (its last section).
 *
 *   npm run torchvision-sweep                                  # everything (hours on 2 cores; resumable)
 *   npm run torchvision-sweep -- --only resnet18,swin_t        # some models
 *   npm run torchvision-sweep -- --opsets 17 --backends cpu    # one opset, CPU reference only
 *   npm run torchvision-sweep -- --docs-only                   # rewrite the docs table from OUT/results.json
 *
 * Options: --out DIR (default zoo-out/torchvision), --only a,b, --opsets 17,14, --backends cpu,webgpu[,wasm],
 * --runs N (per backend, default 2: latency is the second run), --timeout S (per model and opset, default 3600),
 * --redo (check again models already in results.json; --redo-failed: only rows that failed import/convert/a backend
 * or were over the bound; --reexport: export again too, e.g. after an exporter fix), --prune (delete each
 * model.onnx once checked: the full sweep's ONNX files take ~30 GB), --no-docs.
 *
 * Resumable: a model/opset already in results.json is skipped, and the exporter skips folders it completed, so an
 * interrupted sweep continues where it stopped. Export is tools/zoo/export_torchvision_sweep.py (one python process
 * per model, both opsets); each check is tools/zoo/torchvision_check_one.ts in a child process (a crash or timeout
 * becomes that row's error). Progress: one line per step with elapsed time. Exit status 1 when a selected model
 * failed (export, import, convert, a backend) or was over 1e-4; models left out for size do not count.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BackendResult, CheckResult } from './torchvision_check_one.js';
import { writeSweepDocs } from './torchvision_sweep_docs.js';

const PY = '/usr/bin/python3'; // Debian's python: the only one with torch/torchvision/onnx
const TOLERANCE = 1e-4;
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
/** Child output not worth echoing: torch's export warnings (and the source lines they quote), Dawn's XDG notice, npm's config warnings. */
const NOISE = /warnings?\.warn|UserWarning|TracerWarning|XDG_RUNTIME_DIR|^npm warn|^\s+(assert |return _VF)/;

interface Options {
  out: string;
  only?: string[];
  opsets: number[];
  backends: string[];
  runs: number;
  timeoutS: number;
  redo: boolean;
  redoFailed: boolean;
  reexport: boolean;
  prune: boolean;
  docs: boolean;
  docsOnly: boolean;
}

interface ListedModel {
  model: string;
  kind: 'image' | 'video';
  family: string;
  params: number;
  input_shape: number[];
}

/** One model at one opset: what the docs table and results.json hold. */
export interface SweepRow {
  key: string;
  model: string;
  opset: number;
  family: string;
  inputShape: number[];
  /** 'pass' (every backend ≤ 1e-4), 'over', 'error' (import/convert/backend failure), 'skipped', 'export-error'. */
  status: 'pass' | 'over' | 'error' | 'skipped' | 'export-error' | 'build-error';
  reason?: string;
  onnxOps?: string[];
  onnxBytes?: number;
  params?: number;
  macs?: number;
  exportSeconds?: number;
  checkSeconds?: number;
  check?: CheckResult;
}

function parseOptions(argv: string[]): Options {
  const opts: Options = { out: 'zoo-out/torchvision', opsets: [17, 14], backends: ['cpu', 'webgpu'], runs: 2, timeoutS: 3600, redo: false, redoFailed: false, reexport: false, prune: false, docs: true, docsOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--out') opts.out = value();
    else if (a === '--only') opts.only = [...(opts.only ?? []), ...value().split(',').filter(Boolean)];
    else if (a === '--opsets') opts.opsets = value().split(',').filter(Boolean).map(Number);
    else if (a === '--backends') opts.backends = value().split(',').filter(Boolean);
    else if (a === '--runs') opts.runs = Number(value());
    else if (a === '--timeout') opts.timeoutS = Number(value());
    else if (a === '--redo') opts.redo = true;
    else if (a === '--redo-failed') opts.redoFailed = true;
    else if (a === '--reexport') opts.reexport = opts.redo = true;
    else if (a === '--prune') opts.prune = true;
    else if (a === '--no-docs') opts.docs = false;
    else if (a === '--docs-only') opts.docsOnly = true;
    else throw new Error(`unknown option ${a} (see the header of tools/zoo/torchvision_sweep.ts)`);
  }
  for (const b of opts.backends) if (!['cpu', 'webgpu', 'wasm'].includes(b)) throw new Error(`unknown backend ${b}`);
  if (opts.opsets.some((o) => !Number.isInteger(o))) throw new Error('--opsets takes integers, e.g. 17,14');
  return opts;
}

interface Spawned {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Process groups of the children now running: detached, they would outlive a Ctrl-C of the sweep. */
const running = new Set<number>();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    for (const pid of running) process.kill(-pid, 'SIGKILL');
    process.exit(130);
  });
}

/** Runs a command; lines are echoed with a prefix when `echo` (progress) and kept for parsing. */
function run(cmd: string, args: string[], options: { timeoutS?: number; echo?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Spawned> {
  return new Promise((resolve) => {
    // Its own process group, so that a timeout kills npx's and tsx's node children too, not just the launcher.
    const child = spawn(cmd, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const echo = (chunk: Buffer, keep: (s: string) => void) => {
      const s = chunk.toString();
      keep(s);
      if (options.echo !== undefined) for (const line of s.split('\n')) if (line.trim() && !line.startsWith('RESULT ') && !NOISE.test(line)) console.log(`${options.echo}${line}`);
    };
    child.stdout.on('data', (c: Buffer) => echo(c, (s) => (stdout += s)));
    child.stderr.on('data', (c: Buffer) => echo(c, (s) => (stderr += s)));
    running.add(child.pid!);
    const timer = options.timeoutS ? setTimeout(() => ((timedOut = true), process.kill(-child.pid!, 'SIGKILL')), options.timeoutS * 1000) : undefined;
    child.on('close', (code, signal) => {
      running.delete(child.pid!);
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

async function listModels(opts: Options): Promise<ListedModel[]> {
  const args = ['tools/zoo/export_torchvision_sweep.py', '--list', '--json', ...(opts.only ? ['--only', opts.only.join(',')] : [])];
  const r = await run(PY, args);
  if (r.code !== 0) throw new Error(`listing the models failed:\n${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as ListedModel);
}

const readJson = <T>(path: string): T | undefined => (existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined);

function loadRows(path: string): Map<string, SweepRow> {
  const rows = (readJson<SweepRow[]>(path) ?? []).map((r) => {
    // rows written before statusOf checked for null (a NaN / Infinity rel L2 through JSON) were called 'pass'
    if (r.status === 'pass' && r.check) r.status = statusOf(r.check, Object.keys(r.check.backends));
    return r;
  });
  return new Map(rows.map((r) => [r.key, r]));
}

function saveRows(path: string, rows: Map<string, SweepRow>): void {
  const sorted = [...rows.values()].sort((a, b) => a.model.localeCompare(b.model) || b.opset - a.opset);
  writeFileSync(path, JSON.stringify(sorted, null, 1) + '\n');
}

function statusOf(check: CheckResult, backends: string[]): SweepRow['status'] {
  if (check.error) return 'error';
  const results = backends.map((b) => check.backends[b as keyof CheckResult['backends']] as BackendResult | undefined);
  if (results.some((r) => !r || r.error || r.relL2 === undefined)) return 'error';
  // a NaN or Infinity rel L2 reaches here as null (JSON from the check's child process): over, never a pass
  return results.every((r) => typeof r!.relL2 === 'number' && r!.relL2 <= TOLERANCE) ? 'pass' : 'over';
}

function firstError(check: CheckResult): string | undefined {
  if (check.error) return `${check.failedStep}: ${check.error}`;
  const errs = Object.entries(check.backends).filter(([, r]) => r?.error).map(([b, r]) => `${b}: ${r!.error}`);
  return errs.length ? errs.join('; ') : undefined;
}

async function checkFolder(dir: string, key: string, opts: Options, env: NodeJS.ProcessEnv): Promise<{ check?: CheckResult; error?: string; seconds: number }> {
  const t0 = Date.now();
  const args = ['--no-install', 'tsx', 'tools/zoo/torchvision_check_one.ts', dir, '--backends', opts.backends.join(','), '--runs', String(opts.runs)];
  const r = await run('npx', args, { timeoutS: opts.timeoutS, echo: `    ${key}: `, env });
  const seconds = (Date.now() - t0) / 1000;
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (line) return { check: JSON.parse(line.slice('RESULT '.length)) as CheckResult, seconds };
  const why = r.timedOut ? `no result after ${opts.timeoutS} s (killed)` : `checker exited with ${r.signal ?? `code ${r.code}`}`;
  const tail = r.stderr.trim().split('\n').filter(Boolean).slice(-2).join(' | ').slice(0, 400);
  return { error: `${why}${tail ? `: ${tail}` : ''}`, seconds };
}

/** The exporter finished this folder: a complete case, or status.json saying why there is none. */
const exported = (dir: string): boolean =>
  existsSync(join(dir, 'status.json')) || ['model.onnx', 'input.npy', 'output.npy', 'meta.json'].every((f) => existsSync(join(dir, f)));

const fmtS = (s: number): string => (s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(0)} s`);

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  const resultsPath = join(opts.out, 'results.json');
  const rows = loadRows(resultsPath);
  if (opts.docsOnly) {
    console.log(writeSweepDocs([...rows.values()]));
    return 0;
  }
  const env = { ...process.env, VK_ICD_FILENAMES: process.env['VK_ICD_FILENAMES'] ?? SWIFTSHADER_ICD };
  const models = await listModels(opts);
  const start = Date.now();
  const total = models.length * opts.opsets.length;
  let done = 0;
  console.log(`torchvision sweep: ${models.length} models x opsets ${opts.opsets.join(',')} -> ${opts.out} (backends ${opts.backends.join(',')}; bound ${TOLERANCE})`);
  for (const m of models) {
    const pending = opts.opsets.filter((o) => {
      const old = rows.get(`${m.model}-op${o}`);
      return opts.redo || !old || (opts.redoFailed && (old.status === 'error' || old.status === 'over'));
    });
    const progress = () => `[${done}/${total} ${fmtS((Date.now() - start) / 1000)}]`;
    if (pending.length === 0) {
      done += opts.opsets.length;
      console.log(`${progress()} ${m.model}: done earlier (results.json)`);
      continue;
    }
    // The exporter skips complete folders itself; not starting python (~5 s of torch import) for them is faster.
    const toExport = pending.filter((o) => opts.reexport || !exported(join(opts.out, `${m.model}-op${o}`)));
    let ex: Spawned | undefined;
    if (toExport.length) {
      console.log(`${progress()} ${m.model}: export opset ${toExport.join(', ')}`);
      const exportArgs = ['tools/zoo/export_torchvision_sweep.py', '-o', opts.out, '--only', m.model, '--opsets', toExport.join(','), ...(opts.reexport ? ['--redo'] : [])];
      ex = await run(PY, exportArgs, { echo: '    export: ' });
      if (ex.code !== 0) console.log(`    export exited with ${ex.signal ?? `code ${ex.code}`}`);
      // An exporter killed from outside (the OOM killer) wrote nothing: record that, or every resume would retry it.
      for (const o of toExport.filter((o) => !exported(join(opts.out, `${m.model}-op${o}`)))) {
        const tail = ex.stderr.trim().split('\n').filter((l) => l.trim() && !NOISE.test(l)).slice(-1)[0] ?? '';
        const reason = `the exporter died (${ex.signal ?? `exit code ${ex.code}`}${ex.signal === 'SIGKILL' ? ': out of memory?' : ''})${tail ? `: ${tail}` : ''}`;
        mkdirSync(join(opts.out, `${m.model}-op${o}`), { recursive: true });
        writeFileSync(join(opts.out, `${m.model}-op${o}`, 'status.json'), JSON.stringify({ status: 'export-error', reason }, null, 1) + '\n');
      }
    }
    for (const opset of pending) {
      const key = `${m.model}-op${opset}`;
      const dir = join(opts.out, key);
      const meta = readJson<Record<string, unknown>>(join(dir, 'meta.json'));
      const state = readJson<Record<string, unknown>>(join(dir, 'status.json'));
      const row: SweepRow = { key, model: m.model, opset, family: m.family, inputShape: m.input_shape, status: 'error', params: m.params };
      if (state) {
        row.status = state['status'] as SweepRow['status'];
        row.reason = String(state['reason'] ?? '');
      } else if (!meta) {
        row.reason = 'export wrote neither model.onnx nor status.json';
      } else {
        row.onnxOps = meta['onnx_ops'] as string[];
        row.onnxBytes = meta['onnx_bytes'] as number;
        row.params = (meta['params'] as number) ?? row.params;
        row.exportSeconds = meta['export_seconds'] as number;
        console.log(`${progress()} ${key}: convert + ${opts.backends.join(' + ')}`);
        const r = await checkFolder(dir, key, opts, env);
        row.checkSeconds = Math.round(r.seconds);
        if (r.check) {
          row.check = r.check;
          row.macs = r.check.macs;
          row.status = statusOf(r.check, opts.backends);
          row.reason = firstError(r.check);
        } else row.reason = r.error;
        if (opts.prune) rmSync(join(dir, 'model.onnx'), { force: true });
      }
      rows.set(key, row);
      saveRows(resultsPath, rows);
      done++;
      const rel = (b: string) => row.check?.backends[b as 'cpu']?.relL2?.toExponential(2) ?? '-';
      console.log(`${progress()} ${key}: ${row.status.toUpperCase()} ${opts.backends.map((b) => `${b} ${rel(b)}`).join(', ')}${row.checkSeconds !== undefined ? ` (${row.checkSeconds} s)` : ''}${row.reason ? `\n    ${row.reason}` : ''}`);
    }
  }
  const counts = new Map<string, number>();
  for (const r of rows.values()) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  const selected = new Set(models.map((m) => m.model));
  const failing = [...rows.values()].filter((r) => selected.has(r.model) && r.status !== 'pass' && r.status !== 'skipped');
  console.log(`sweep finished in ${fmtS((Date.now() - start) / 1000)}: ${[...counts].map(([s, n]) => `${n} ${s}`).join(', ')}; ${resultsPath}`);
  if (opts.docs) console.log(writeSweepDocs([...rows.values()]));
  return failing.length > 0 ? 1 : 0;
}

main().then(
  (code) => (process.exitCode = code),
  (e) => {
    console.error(e);
    process.exitCode = 2;
  },
);
