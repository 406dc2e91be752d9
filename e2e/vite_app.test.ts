/**
 * examples/vite-app as a user gets it: `npm pack` of this checkout, the tarball installed into a copy of the example
 * outside the repository (so nothing resolves through the root's node_modules), `vite build` with the example's own
 * Vite, the typecheck of the example against the packed typings, then the built dist/ (Vite's preview server) and the
 * dev server, each on 127.0.0.1 in headless Chromium (WebGPU, SwiftShader here). The page classifies the Chelsea photo
 * with Session on the page and with WorkerSession in the package's worker script (`tessera/worker-script`); both must
 * say "cat" on the backend auto picks (WASM on this machine's software WebGPU adapter).
 *
 * Needs the npm registry (or an npm cache holding vite, typescript and Tessera's dependencies, which `npm ci` at the
 * root fills) and Chromium (/usr/bin/chromium or $TESSERA_CHROMIUM). Prints the built JavaScript's size.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import type { PreviewServer, ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, DEFAULT_CHROMIUM } from '../src/node/browser_harness.js';
import { freePort, REPO } from './demo_server.js';

const EXAMPLE = join(REPO, 'examples', 'vite-app');
const MODEL = 'resnet20-cifar10.tessera';

let tmp: string;
let app: string; // the example's copy: <tmp>/root/examples/vite-app, with <tmp>/root/models/ beside it as in the repo
let server: PreviewServer | undefined;
let devServer: ViteDevServer | undefined;
let vite: typeof import('vite'); // the example's own Vite (the one its vite.config.ts imports)
let browser: Browser | undefined;
const timings: string[] = [];

/** The environment minus what `npm test` sets for this checkout (its package, lifecycle and local prefix). */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { npm_config_update_notifier: 'false' };
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(npm_package_|npm_lifecycle_|npm_config_local_prefix$|INIT_CWD$)/.test(k)) env[k] = v;
  }
  return env;
}

/** Runs a command; on failure throws with its output so a broken pack/install/build says why. */
function run(what: string, file: string, args: string[], cwd: string, timeoutMs: number): Promise<string> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, timeout: timeoutMs, maxBuffer: 64 << 20, env: childEnv() }, (err, stdout, stderr) => {
      if (err) {
        const out = `${stdout}\n${stderr}`.trim().split('\n').slice(-40).join('\n');
        reject(new Error(`${what} failed (${file} ${args.join(' ')} in ${cwd}): ${err.message}\n${out}`));
      } else {
        timings.push(`${what} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        resolve(stdout);
      }
    });
  });
}

const npm = 'npm';

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'tessera-vite-app-'));
  // 1. The package as npm would publish it (`prepare` compiles dist/), or $TESSERA_TARBALL when set (a tarball packed
  //    already, e.g. by a CI step).
  let tarball = process.env['TESSERA_TARBALL'];
  if (tarball) {
    if (!existsSync(tarball)) throw new Error(`TESSERA_TARBALL=${tarball} does not exist`);
  } else {
    // Packed from a staging copy of what the package ships (package.json "files" minus dist/, which `prepare` builds
    // there) so the test never rewrites the checkout's dist/ under tests that may be reading it.
    const stage = join(tmp, 'stage');
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { files: string[] };
    for (const entry of ['package.json', 'tsconfig.json', 'tsconfig.build.json', ...pkg.files]) {
      if (entry === 'dist') continue;
      if (!existsSync(join(REPO, entry))) throw new Error(`package.json "files" lists ${entry}, which is not in the checkout`);
      cpSync(join(REPO, entry), join(stage, entry), { recursive: true });
    }
    symlinkSync(join(REPO, 'node_modules'), join(stage, 'node_modules'), 'dir'); // typescript and @types for `prepare`
    const packed = JSON.parse(await run('npm pack', npm, ['pack', '--json', '--pack-destination', tmp], stage, 120_000)) as { filename: string }[];
    tarball = join(tmp, packed[0]!.filename);
    if (!existsSync(tarball)) throw new Error(`npm pack reported ${packed[0]?.filename} but ${tarball} does not exist`);
  }

  // 2. A clean copy of the example (no node_modules/dist from a local run) and the model it imports from ../../models/.
  app = join(tmp, 'root', 'examples', 'vite-app');
  cpSync(EXAMPLE, app, { recursive: true, filter: (src) => !/[\\/](node_modules|dist|package-lock\.json|[^\\/]*\.tgz)$/.test(src) });
  cpSync(join(REPO, 'models', MODEL), join(tmp, 'root', 'models', MODEL));

  // 3. Install the tarball (and the example's vite/typescript); the npm cache filled by the root's `npm ci` serves
  //    most of it, the registry the rest.
  await run('npm install', npm, ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], app, 150_000);
  if (!existsSync(join(app, 'node_modules', 'tessera', 'dist', 'worker', 'worker.js')))
    throw new Error(`the installed package has no dist/worker/worker.js (what 'tessera/worker-script' points at): is dist/ in package.json "files"?`);

  // 4. The example's own build and typecheck. The extra file checks that the worker-script entry has typings.
  await run('vite build', process.execPath, [join(app, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], app, 120_000);
  writeFileSync(join(app, 'src', 'entry_types_check.ts'), "import * as script from 'tessera/worker-script';\nexport type WorkerScript = typeof script;\n");
  await run('tsc --noEmit', process.execPath, [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', app], app, 120_000);

  // 5. Serve dist/ as a static site (Vite's preview server, no config file) and start Chromium.
  vite = (await import(pathToFileURL(join(app, 'node_modules', 'vite', 'dist', 'node', 'index.js')).href)) as typeof import('vite');
  const port = await freePort();
  server = await vite.preview({ root: app, configFile: false, logLevel: 'warn', preview: { host: '127.0.0.1', port, strictPort: true } });
  const { chromium } = await import('playwright-core');
  const executablePath = process.env['TESSERA_CHROMIUM'] ?? DEFAULT_CHROMIUM;
  browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS }).catch((e: Error) => {
    throw new Error(`could not launch Chromium at ${executablePath} (install Debian's chromium or set TESSERA_CHROMIUM): ${e.message}`);
  });
}, 300_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await server?.close().catch(() => undefined);
  await devServer?.close().catch(() => undefined);
  if (timings.length) console.log(`examples/vite-app: ${timings.join(', ')}`);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Opens the app, waits for both results, checks them; returns the URLs of the workers the page started. */
async function expectCatTwice(url: string): Promise<string[]> {
  const page = await browser!.newPage();
  try {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text()); // HTTP errors: below, with their URL
    });
    page.on('response', (r) => {
      if (r.status() >= 400) errors.push(`HTTP ${r.status()} for ${r.url()}`);
    });
    const workers: string[] = [];
    page.on('worker', (w) => workers.push(w.url()));
    await page.goto(url);
    await page.waitForFunction(() => [...document.querySelectorAll('output')].every((o) => o.dataset['state'] !== 'running'), undefined, { timeout: 120_000 });
    const results: Record<string, string | undefined>[] = await page.$$eval('output', (outs) => outs.map((o) => ({ id: o.id, text: o.textContent ?? '', ...o.dataset })));
    console.log(`${url}\n${results.map((r) => `  ${r.id}: ${r.text}`).join('\n')}`);
    for (const id of ['page', 'worker']) {
      const r = results.find((x) => x.id === id);
      expect(r, `no <output id="${id}">`).toBeDefined();
      expect(r!.state, `${id}: ${r!.error ?? ''}`).toBe('done');
      expect(r!.label, id).toBe('cat');
      // The app leaves the backend to 'auto': on this machine's software WebGPU adapter (SwiftShader) that is WASM.
      expect(r!.backend, id).toBe('wasm');
      const score = Number(r!.score);
      expect(score, id).toBeGreaterThan(0.1); // the softmax probability of the top class of 10
      expect(score, id).toBeLessThanOrEqual(1);
    }
    expect(await page.evaluate(() => document.body.dataset['state'])).toBe('done');
    expect(errors).toEqual([]);
    return workers;
  } finally {
    await page.close();
  }
}

describe('examples/vite-app (npm pack → npm install → vite build)', () => {
  it('emits the worker script as its own chunk and reports the JavaScript size', () => {
    const assets = join(app, 'dist', 'assets');
    const js = readdirSync(assets).filter((f) => f.endsWith('.js'));
    const rows = js.map((f) => {
      const bytes = readFileSync(join(assets, f));
      return { file: f, raw: bytes.byteLength, gzip: gzipSync(bytes, { level: 9 }).byteLength };
    });
    const total = rows.reduce((a, r) => ({ raw: a.raw + r.raw, gzip: a.gzip + r.gzip }), { raw: 0, gzip: 0 });
    const kB = (n: number) => `${(n / 1000).toFixed(1)} kB`;
    console.log(
      ['built JavaScript (raw / gzip -9):', ...rows.map((r) => `  ${r.file}: ${kB(r.raw)} / ${kB(r.gzip)}`), `  total: ${kB(total.raw)} / ${kB(total.gzip)}`].join('\n'),
    );
    expect(rows.length).toBeGreaterThanOrEqual(2); // the page's entry and the worker
    expect(js.some((f) => /worker/.test(f))).toBe(true);
    // The model is an asset next to the code, not inlined into it.
    expect(readdirSync(assets).some((f) => f.endsWith('.tessera'))).toBe(true);
    expect(total.raw).toBeGreaterThan(0);
  });

  it('built app (vite build + preview): the photo is a cat (auto backend), on the page (Session) and in the worker (WorkerSession)', async () => {
    const workers = await expectCatTwice(server!.resolvedUrls!.local[0]!);
    // The worker path ran in a Web Worker loaded from the build's worker chunk.
    expect(workers.some((u) => /\/assets\/worker-[\w-]+\.js$/.test(u)), `workers started: ${workers.join(', ') || 'none'}`).toBe(true);
  });

  it('dev server (vite): the same results, and Vite has no complaint about the package (source maps, dependencies)', async () => {
    const warnings: string[] = [];
    const logger = vite.createLogger('warn');
    const warn = logger.warn.bind(logger);
    logger.warn = (msg, options) => {
      warnings.push(msg);
      warn(msg, options);
    };
    const port = await freePort();
    devServer = await vite.createServer({ root: app, customLogger: logger, server: { port, strictPort: true, hmr: false } });
    await devServer.listen();
    const workers = await expectCatTwice(`http://127.0.0.1:${port}/`);
    // Unbundled in dev: the worker is the package's own file.
    expect(workers.some((u) => u.includes('/node_modules/tessera/dist/worker/worker.js')), `workers started: ${workers.join(', ') || 'none'}`).toBe(true);
    expect(warnings).toEqual([]);
  });
});
