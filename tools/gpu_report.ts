/**
 * `npm run gpu-report`: everything a first contact with a GPU machine should measure, in one command and one Markdown
 * report (docs/gpu-report.md). Runs in Node on Dawn (the `webgpu` package) with the adapter the machine's Vulkan driver
 * gives (SwiftShader where there is none, chosen as the bench's Node host does: bench/node_icd.ts):
 *   1. the adapter: description, class (device.ts classifyAdapter), features, limits;
 *   2. fixtures: the model-zoo fixtures (tests/fixtures/zoo, ResNet-20) against PyTorch, with the rule's kernels and
 *      with the hardware tuning policy (each candidate checked, then the whole model);
 *   3. the roofline (bench/roofline_measure.ts: GEMM ceiling, copy bandwidth, per-layer profile);
 *   4. tuning: a first load with the hardware policy (forced on a software adapter), a second load from the cache,
 *      outputs compared with the untuned session's;
 *   5. the bench (bench/run.ts --host node) of ResNet-50, MobileNetV2, MobileNetV3-small, EfficientNet-B0 and
 *      DenseNet-121 against ORT-web WebGPU and TF.js WebGPU.
 * Usage and options: tools/gpu_report_args.ts. `--pack DIR`: tools/gpu_report_pack.ts.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chooseVulkanIcd, gatherIcdFacts } from '../bench/node_icd.js';
import { adapterLabel, installDawnNavigator } from '../bench/node_gpu.js';
import { ensureModel, REPO_ROOT } from '../bench/models.js';
import { median, relL2 } from '../bench/metrics.js';
import { measureRoofline, rooflineMarkdown, type RooflineTransport } from '../bench/roofline_measure.js';
import { classifyAdapter, type AdapterClass } from '../src/backends/webgpu/device.js';
import { memoryTuningCache } from '../src/cache/tuning_cache.js';
import { readNpy } from '../src/io/npy.js';
import { Session, type SessionOptions } from '../src/runtime/session.js';
import type { Tensor } from '../src/graph/ir.js';
import { caseDirs, loadCase, type ZooCase } from './zoo/zoo_lib.js';
import { GPU_REPORT_USAGE, GpuReportArgsError, parseGpuReportArgs, settleSpeed, type GpuReportArgs } from './gpu_report_args.js';

const log = (s: string) => process.stderr.write(`${s}\n`);
const FIXTURE_TOLERANCE = 1e-4;
const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
const sci = (x: number) => (Number.isFinite(x) ? x.toExponential(1) : String(x));

interface AdapterFacts {
  label: string;
  cls: AdapterClass;
  fallback: boolean;
  features: string[];
  limits: Record<string, number>;
  vulkan: string;
}

async function adapterFacts(gpu: GPU, vulkan: string): Promise<AdapterFacts | undefined> {
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return undefined;
  const i = adapter.info;
  const label = adapterLabel({ vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description });
  const fallback = !!(i as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const limits: Record<string, number> = {};
  for (const k of ['maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupStorageSize', 'maxStorageBufferBindingSize', 'maxBufferSize', 'maxStorageBuffersPerShaderStage'] as const) limits[k] = adapter.limits[k];
  const sub = i as { subgroupMinSize?: number; subgroupMaxSize?: number };
  if (sub.subgroupMinSize) limits['subgroupMinSize'] = sub.subgroupMinSize;
  if (sub.subgroupMaxSize) limits['subgroupMaxSize'] = sub.subgroupMaxSize;
  return { label, cls: classifyAdapter(label, fallback), fallback, features: [...adapter.features].map(String).sort(), limits, vulkan };
}

const feedsOf = (s: Session, x: Tensor) => ({ [s.inputs[0]!.name]: x });
const firstOutput = async (s: Session, x: Tensor) => Object.values(await s.run(feedsOf(s, x)))[0]! as Tensor;
const f32 = (t: Tensor) => t.data as Float32Array;

/** One fixture with the rule's kernels and with the hardware policy (fresh in-memory table each). */
async function fixtureRow(c: ZooCase): Promise<string> {
  const cell = async (autotune: SessionOptions['autotune']) => {
    const t0 = performance.now();
    const s = await Session.create(c.modelBytes, { backend: 'webgpu', autotune });
    try {
      const y = await firstOutput(s, c.input);
      const err = relL2(f32(y), f32(c.expected));
      return { err, ms: performance.now() - t0, tuning: s.tuning };
    } finally {
      s.release();
    }
  };
  const rule = await cell(false);
  const hw = await cell({ policy: 'hardware', cache: memoryTuningCache(), budgetMs: 500 });
  const ok = rule.err <= FIXTURE_TOLERANCE && hw.err <= FIXTURE_TOLERANCE;
  const changed = hw.tuning.source === 'measured' ? `${hw.tuning.changed} of ${hw.tuning.layers} changed, ${hw.tuning.rejected?.length ?? 0} rejected` : hw.tuning.source;
  return `| ${c.name} | ${sci(rule.err)} | ${sci(hw.err)} (${changed}) | ${fmt(rule.ms)} / ${fmt(hw.ms)} | ${ok ? 'ok' : '**FAIL**'} |`;
}

async function fixturesSection(out: string[]): Promise<boolean> {
  const root = join(REPO_ROOT, 'tests', 'fixtures');
  const cases = [...caseDirs(join(root, 'zoo')).map((d) => loadCase(d)), ...(existsSync(join(root, 'resnet20', 'model.onnx')) ? [loadCase(join(root, 'resnet20'), 'resnet20-pretrained')] : [])];
  out.push('## Fixtures vs PyTorch', '', `Model-zoo fixtures (tests/fixtures/zoo, CIFAR-scale, one per family) on this adapter: rel L2 of the output against PyTorch's, bound ${FIXTURE_TOLERANCE}; with the rule's kernels, and with the hardware tuning policy (budget 0.5 s, fresh table: the variants it picks here run the whole model).`, '');
  out.push('| fixture | rel L2 (rule) | rel L2 (hardware policy) | create + run (rule / tuned) | |', '|---|---|---|---|---|');
  let allOk = true;
  for (const c of cases) {
    try {
      const row = await fixtureRow(c);
      allOk &&= row.endsWith('| ok |');
      out.push(row);
      log(`  ${row}`);
    } catch (e) {
      allOk = false;
      out.push(`| ${c.name} | **${(e as Error).name}: ${(e as Error).message.slice(0, 160)}** | | | **FAIL** |`);
    }
  }
  out.push('', `${cases.length} fixtures: ${allOk ? 'all within the bound' : '**some failed**'}.`, '');
  return allOk;
}

/** The roofline in this process: the page modules run on Dawn's navigator.gpu. */
async function rooflineSection(out: string[], args: GpuReportArgs, host: string): Promise<void> {
  await import('../bench/roofline_page.js');
  const g = globalThis as unknown as {
    tesseraKernelBench: { run: RooflineTransport['kernel'] };
    tesseraRoofline: { copy: RooflineTransport['copy']; profileModel: RooflineTransport['profileModel'] };
  };
  const dir = mkdtempSync(join(tmpdir(), 'tessera-roofline-'));
  let n = 0;
  const t0 = Date.now();
  try {
    const files = args.rooflineModels.map((name) => ({ name, files: ensureModel(name, undefined, log) }));
    const r = await measureRoofline(
      {
        kernel: (j) => g.tesseraKernelBench.run(j),
        copy: (b, reps) => g.tesseraRoofline.copy(b, reps),
        profileModel: (j) => g.tesseraRoofline.profileModel(j),
        serve: (bytes) => {
          const f = join(dir, `blob-${n++}`);
          writeFileSync(f, bytes);
          return pathToFileURL(f).href;
        },
        unserve: (url) => rmSync(new URL(url), { force: true }),
      },
      files,
      { reps: args.reps, gemmReps: Math.max(2, Math.min(args.reps, 5)) },
      log,
    );
    const md = rooflineMarkdown({ ...r, date: new Date(), host, minutes: (Date.now() - t0) / 60000, reps: args.reps, gemmReps: Math.max(2, Math.min(args.reps, 5)) });
    // One level down: the roofline's own title becomes a section of this report.
    out.push(...md.split('\n').map((l) => (l.startsWith('#') ? `#${l}` : l)), '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** SwiftShader compiles one layer's 4 candidates in seconds: its tuning section gets a budget that fits that. */
const SOFTWARE_TUNE_BUDGET_MS = 20_000;

/** First load with the hardware policy, a cached second load, and the untuned session's output for reference. */
async function tuningSection(out: string[], args: GpuReportArgs, cls: AdapterClass): Promise<boolean> {
  const budgetMs = args.tuneBudgetMs ?? (cls === 'software' ? SOFTWARE_TUNE_BUDGET_MS : undefined);
  out.push(
    '## Tuning: first load and cached (hardware policy)',
    '',
    `\`autotune: { policy: 'hardware', cache${budgetMs !== undefined ? `, budgetMs: ${budgetMs}` : ''} }\` with a fresh in-memory cache${cls === 'software' ? ' (forced: on this software adapter the default is the rule, no measurement; the budget is raised because one layer\'s 4 compiles take seconds here)' : ' (what a default session does on this adapter)'}, then the same model again from the cache; outputs against the untuned session (\`autotune: false\`, bound 1e-5 rel L2) and against PyTorch. A layer starts only while the longest so far still fits the budget; unmeasured layers run their vendor seed. Steady medians over ${args.reps} run(s).`,
    '',
    '| model | untuned create / median | first load: create (tuning, budget) | layers tuned / skipped / changed | measurements, rejected | second load: source, tuning ms, measurements | tuned median | rel L2 tuned vs untuned (1st / 2nd) | rel L2 vs PyTorch (untuned / tuned) |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  let ok = true;
  const details: string[] = [];
  for (const name of args.tuneModels) {
    const f = ensureModel(name, undefined, log);
    const bytes = new Uint8Array(readFileSync(f.onnx));
    const x = readNpy(new Uint8Array(readFileSync(f.input)), f.input);
    const expected = f32(readNpy(new Uint8Array(readFileSync(f.output)), f.output));
    const timed = async (autotune: SessionOptions['autotune']) => {
      const t0 = performance.now();
      const s = await Session.create(bytes, { backend: 'webgpu', autotune });
      const createMs = performance.now() - t0;
      try {
        const y = f32(await firstOutput(s, x));
        const runs: number[] = [];
        for (let i = 0; i < args.reps; i++) {
          const t = performance.now();
          await firstOutput(s, x);
          runs.push(performance.now() - t);
        }
        return { createMs, y, medianMs: median(runs), tuning: s.tuning };
      } finally {
        s.release();
      }
    };
    log(`  ${name}: untuned ...`);
    const base = await timed(false);
    const cache = memoryTuningCache();
    log(`  ${name}: first load, hardware policy ...`);
    const first = await timed({ policy: 'hardware', cache, ...(budgetMs !== undefined ? { budgetMs } : {}) });
    log(`  ${name}: second load ...`);
    const second = await timed({ policy: 'hardware', cache, ...(budgetMs !== undefined ? { budgetMs } : {}) });
    const t1 = first.tuning;
    const t2 = second.tuning;
    const e1 = relL2(first.y, base.y);
    const e2 = relL2(second.y, base.y);
    ok &&= t1.source === 'measured' && t2.source === 'cache' && t2.measurements === 0 && e1 <= 1e-5 && e2 <= 1e-5 && t1.ms <= (t1.budgetMs ?? Infinity);
    out.push(
      `| ${name} | ${fmt(base.createMs)} / ${fmt(base.medianMs)} | ${fmt(first.createMs)} (${fmt(t1.ms)}, ${fmt(t1.budgetMs ?? NaN)}) | ${t1.layersTuned} of ${t1.layers} / ${t1.layersSkipped} / ${t1.changed} | ${t1.measurements}, ${t1.rejected?.length ?? 0} | ${t2.source}, ${t2.ms.toFixed(1)}, ${t2.measurements} | ${fmt(first.medianMs)} | ${sci(e1)} / ${sci(e2)} | ${sci(relL2(base.y, expected))} / ${sci(relL2(first.y, expected))} |`,
    );
    const picks = Object.entries(t1.choices).map(([k, v]) => `\`${k}\` → ${v}`);
    details.push(`<details><summary>${name}: table (${picks.length} signatures, policy ${t1.policy}, class ${t1.adapterClass})</summary>`, '', ...picks.map((p) => `- ${p}`), ...(t1.rejected?.length ? ['', `Rejected (output differed from the rule's): ${t1.rejected.join('; ')}`] : []), '', '</details>', '');
  }
  out.push('', ...details, ok ? 'Tuning checks hold (measured within its budget, then cached with 0 measurements, outputs within 1e-5 of the untuned session).' : '**Tuning checks failed** (see the rows).', '');
  return ok;
}

/** bench/run.ts --host node in a child process (one per runtime set); its latest.md tables become this section. */
async function benchSection(out: string[], args: GpuReportArgs, dir: string): Promise<boolean> {
  const compare = args.compare ?? args.models;
  const groups = [
    { models: args.models.filter((m) => compare.includes(m)), runtimes: 'tessera,ort-webgpu,tfjs-webgpu', sub: 'compared' },
    { models: args.models.filter((m) => !compare.includes(m)), runtimes: 'tessera', sub: 'tessera-only' },
  ].filter((g) => g.models.length);
  out.push('## Bench (Node on Dawn, vs ORT-web WebGPU and TF.js WebGPU)', '');
  let ok = true;
  for (const g of groups) {
    const gdir = join(dir, g.sub);
    const benchArgs = ['--host', 'node', '--models', g.models.join(','), '--runtimes', g.runtimes, '--reps', String(args.reps), '--max-seconds', String(args.maxSeconds), '--job-timeout', String(args.jobTimeoutSeconds), '--out', gdir];
    log(`  bench/run.ts ${benchArgs.join(' ')}`);
    const code = await new Promise<number>((res) => {
      // TESSERA_BENCH_RUN: the bundled run.mjs of the pack (tools/gpu_report_pack.ts).
      const run = process.env['TESSERA_BENCH_RUN'] ? [process.env['TESSERA_BENCH_RUN']] : ['--import', 'tsx', join(REPO_ROOT, 'bench', 'run.ts')];
      const child = spawn(process.execPath, [...run, ...benchArgs], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
      child.on('exit', (c) => res(c ?? 1));
      child.on('error', () => res(1));
    });
    ok &&= code === 0;
    const md = join(gdir, 'latest.md');
    if (g.runtimes === 'tessera') out.push(`Tessera alone on ${g.models.join(', ')} (\`--compare\` leaves them out of the comparison: on a software adapter the other runtimes' first runs of them take minutes).`, '');
    // One level down; the chart link made relative to the report (it sits beside the bench's own latest.md).
    if (existsSync(md)) out.push(...readFileSync(md, 'utf8').split('\n').map((l) => (l.startsWith('#') ? `##${l}` : l).replace('](latest.svg)', `](${relative(dirname(dir), gdir)}/latest.svg)`)), '');
    else out.push(`bench/run.ts wrote no table (exit ${code}).`, '');
  }
  return ok;
}

async function main(argv: string[]): Promise<number> {
  let args: GpuReportArgs;
  try {
    args = parseGpuReportArgs(argv);
  } catch (e) {
    if (e instanceof GpuReportArgsError) {
      log(`gpu-report: ${e.message}`);
      return 2;
    }
    throw e;
  }
  if (args.help) {
    console.log(GPU_REPORT_USAGE);
    return 0;
  }
  if (args.pack) {
    const { writePack } = await import('./gpu_report_pack.js');
    return writePack(resolve(args.pack), log);
  }
  const started = Date.now();
  const icd = chooseVulkanIcd(gatherIcdFacts());
  if (icd.vkIcdFilenames) process.env['VK_ICD_FILENAMES'] = icd.vkIcdFilenames;
  const gpu = await installDawnNavigator();
  const facts = await adapterFacts(gpu, icd.reason);
  if (!facts) {
    log(`gpu-report: Dawn found no WebGPU adapter (${icd.reason})`);
    return 1;
  }
  const host = `Node ${process.version} on Dawn (webgpu ${pkgVersion('webgpu')}), ${facts.label}`;
  log(`adapter: ${facts.label} — class ${facts.cls}${facts.cls === 'software' ? ' (SOFTWARE: a CPU emulation, not a GPU)' : ''}`);
  if (settleSpeed(args, facts.cls)) log('software adapter: quick settings (1 run per job; --full for all of them)');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const outDir = resolve(REPO_ROOT, args.outDir);
  mkdirSync(outDir, { recursive: true });
  const body: string[] = [];
  const loads: number[] = [];
  const status: Record<string, string> = {};
  for (const section of args.sections) {
    loads.push(loadavg()[0]!);
    const t0 = Date.now();
    log(`== ${section}`);
    try {
      if (section === 'fixtures') status[section] = (await fixturesSection(body)) ? 'ok' : 'FAILED';
      if (section === 'roofline') {
        await rooflineSection(body, args, host);
        status[section] = 'ok';
      }
      if (section === 'tuning') status[section] = (await tuningSection(body, args, facts.cls)) ? 'ok' : 'FAILED';
      if (section === 'bench') status[section] = (await benchSection(body, args, join(outDir, `bench-${stamp}`))) ? 'ok' : 'FAILED';
    } catch (e) {
      status[section] = 'FAILED';
      body.push(`## ${section}`, '', `**Failed: ${(e as Error).name}: ${(e as Error).message}**`, '');
      log(`  ${section} failed: ${(e as Error).stack ?? e}`);
    }
    status[section] += ` (${((Date.now() - t0) / 60000).toFixed(1)} min)`;
  }
  loads.push(loadavg()[0]!);
  const minutes = (Date.now() - started) / 60000;
  const head = [
    `# GPU report ${new Date().toISOString()}: ${facts.label} (${facts.cls})`,
    '',
    `\`npm run gpu-report${argv.length ? ` -- ${argv.join(' ')}` : ''}\` in ${minutes.toFixed(1)} min on ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}; 1-min load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}; ${args.speed} settings (${args.reps} run(s) per job${args.speed === 'quick' ? ', ORT-web / TF.js on ' + (args.compare ?? []).join(', ') : ''}).`,
    '',
    '| adapter | |',
    '|---|---|',
    `| description | ${facts.label} |`,
    `| class | **${facts.cls}**${facts.cls === 'software' ? ' — a software rasterizer (CPU emulation): none of the figures below describe a GPU' : ''} |`,
    `| isFallbackAdapter | ${facts.fallback} |`,
    `| Vulkan driver choice | ${facts.vulkan} |`,
    `| features | ${facts.features.join(', ') || '–'} |`,
    `| limits | ${Object.entries(facts.limits).map(([k, v]) => `${k} ${v}`).join(', ')} |`,
    `| host | ${host} |`,
    '',
    `Sections: ${Object.entries(status).map(([k, v]) => `${k} ${v}`).join('; ')}.`,
    '',
  ];
  const file = join(outDir, `${stamp}-${facts.cls}.md`);
  writeFileSync(file, [...head, ...body].join('\n'));
  log(`wrote ${file} (${minutes.toFixed(1)} min)`);
  console.log(file);
  return Object.values(status).every((s) => s.startsWith('ok')) ? 0 : 1;
}

function pkgVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code), // Dawn's navigator keeps a timer alive
  (e) => {
    log(`gpu-report: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
