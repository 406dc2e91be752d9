/**
 * Checks every exported zoo model on the CPU reference and prints one row per model (relative L2 vs PyTorch).
 *
 *   npx tsx tools/zoo/check_cpu.ts [ZOO_DIR=zoo-out] [--only a,b] [--scale cifar|all] [--quick] [--json FILE]
 *
 * Columns: `onnx` = importOnnx as imported, `onnx+opt` = after optimize, `tessera f32` / `tessera f16` = the
 * model.f32.tessera / model.f16.tessera files written by tools/zoo/run.sh, read back and optimized (f16 is for
 * information: half-precision weights are not held to the f32 bound). --quick runs only `onnx+opt`.
 * Exit status 1 when any f32 column exceeds 1e-4 or a model fails to import/run (the error names op and node).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTessera } from '../../src/format/index.js';
import type { Graph } from '../../src/graph/ir.js';
import { optimize } from '../../src/graph/passes/index.js';
import { importOnnx } from '../../src/import/onnx/index.js';
import { caseDirs, loadCase, relativeL2, runOnCpu, type ZooCase } from './zoo_lib.js';

const TOLERANCE = 1e-4;
type Column = 'onnx' | 'onnx+opt' | 'tessera f32' | 'tessera f16';
const F32_COLUMNS: Column[] = ['onnx', 'onnx+opt', 'tessera f32'];

interface Options {
  dir: string;
  only?: Set<string>;
  scale: 'cifar' | 'all';
  quick: boolean;
  json?: string;
}

function parseOptions(argv: string[]): Options {
  const opts: Options = { dir: 'zoo-out', scale: 'all', quick: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--only') opts.only = new Set([...(opts.only ?? []), ...value().split(',').filter(Boolean)]);
    else if (a === '--scale') {
      const s = value();
      if (s !== 'cifar' && s !== 'all') throw new Error(`--scale must be cifar or all, got '${s}'`);
      opts.scale = s;
    } else if (a === '--quick') opts.quick = true;
    else if (a === '--json') opts.json = value();
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else opts.dir = a;
  }
  return opts;
}

interface Row {
  name: string;
  family: string;
  params: number | undefined;
  results: Partial<Record<Column, number | string>>;
  ms?: number;
}

/** Runs `make()` and the CPU executor; a failure becomes a string naming the error (the importer/CPU name op+node). */
function measure(c: ZooCase, make: () => Graph): number | string {
  try {
    return relativeL2(runOnCpu(make(), c.input), c.expected);
  } catch (e) {
    const err = e as Error;
    return `FAIL ${err.name}: ${err.message}`;
  }
}

function checkCase(c: ZooCase, quick: boolean): Row {
  const row: Row = { name: c.name, family: String(c.meta.family ?? '?'), params: c.meta.params, results: {} };
  let imported: Graph | undefined;
  const load = (): Graph => (imported ??= importOnnx(c.modelBytes));
  if (!quick) row.results.onnx = measure(c, load);
  const t0 = performance.now();
  row.results['onnx+opt'] = measure(c, () => optimize(load()));
  row.ms = performance.now() - t0;
  if (!quick) {
    for (const [column, file] of [['tessera f32', 'model.f32.tessera'], ['tessera f16', 'model.f16.tessera']] as const) {
      const path = join(c.dir, file);
      if (existsSync(path)) row.results[column] = measure(c, () => optimize(readTessera(new Uint8Array(readFileSync(path)))));
    }
  }
  return row;
}

function cell(v: number | string | undefined): string {
  if (v === undefined) return '-';
  if (typeof v === 'string') return 'FAIL';
  return v.toExponential(2);
}

function main(): number {
  const opts = parseOptions(process.argv.slice(2));
  const dirs = caseDirs(opts.dir);
  if (dirs.length === 0) {
    console.error(`no exported models under ${opts.dir} (run npm run zoo or tools/zoo/export_all.py first)`);
    return 1;
  }
  const cases = dirs.map((d) => loadCase(d)).filter((c) => {
    if (opts.only) return opts.only.has(c.name);
    return opts.scale === 'all' || c.meta.scale === 'cifar' || c.meta.fixture === true;
  });
  const header = `${'model'.padEnd(34)} ${'family'.padEnd(18)} ${'params'.padStart(11)}  ${'onnx'.padEnd(9)} ${'onnx+opt'.padEnd(9)} ${'tessera f32'.padEnd(11)} ${'tessera f16'.padEnd(11)} ms(opt)`;
  console.log(header);
  const rows: Row[] = [];
  let bad = 0;
  for (const c of cases) {
    const row = checkCase(c, opts.quick);
    rows.push(row);
    const r = row.results;
    const failedF32 = F32_COLUMNS.some((k) => typeof r[k] === 'string' || (typeof r[k] === 'number' && !((r[k] as number) <= TOLERANCE)));
    if (failedF32 || typeof r['tessera f16'] === 'string') bad++;
    console.log(`${row.name.padEnd(34)} ${row.family.padEnd(18)} ${(row.params?.toLocaleString('en-US') ?? '?').padStart(11)}  ${cell(r.onnx).padEnd(9)} ${cell(r['onnx+opt']).padEnd(9)} ${cell(r['tessera f32']).padEnd(11)} ${cell(r['tessera f16']).padEnd(11)} ${Math.round(row.ms ?? 0)}${failedF32 ? '  <-- over 1e-4' : ''}`);
    for (const [k, v] of Object.entries(r)) if (typeof v === 'string') console.log(`    ${k}: ${v}`);
  }
  console.log(`${rows.length} models, ${bad} failing (f32 bound ${TOLERANCE})`);
  if (opts.json) writeFileSync(opts.json, JSON.stringify(rows, null, 1) + '\n');
  return bad > 0 ? 1 : 0;
}

process.exitCode = main();
