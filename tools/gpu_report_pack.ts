/**
 * `npm run gpu-report -- --pack DIR`: the bundle that runs the GPU report on a machine with a GPU but no Node, no npm
 * and no network (the lent GPU machines: docs/gpu-report.md), small enough to travel with the working tree (64 MiB in
 * all). DIR must be a direct child of the repository root (default `.gpu-pack`, ignored by git): the bundled scripts
 * find the repository (fixtures, tools/export_torchvision.py, zoo-out/bench) one level up, as the sources do.
 *
 *   node.xz               this Node binary, xz-compressed (~99 MB -> ~25 MB)
 *   node_modules.tar.xz   only what is loaded at run time and cannot be bundled: webgpu's linux-x64 dawn.node and
 *                         its index.js; onnxruntime-web's WebGPU bundle and the asyncify .wasm it loads
 *   gpu_report.mjs.xz, run.mjs.xz, node_job.mjs.xz
 *                         tools/gpu_report.ts, bench/run.ts and bench/node_job.ts bundled by esbuild (TF.js, protobufjs
 *                         and Tessera inlined; Chromium-only modules replaced by empty stubs: the report runs in Node)
 *   run.sh                unpacks, sets up the Vulkan driver, runs the report (arguments are passed on)
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { REPO_ROOT } from '../bench/models.js';

/** Packages the report imports only in Chromium code paths (browser harness, onnxruntime-node, bundlers). */
const STUBBED = ['playwright-core', 'onnxruntime-node', 'vite', 'esbuild'];

/** Runtime files outside the bundles, relative to the repository root. */
const RUNTIME_FILES = [
  'node_modules/webgpu/package.json',
  'node_modules/webgpu/index.js',
  'node_modules/webgpu/dist/linux-x64/dawn.node',
  'node_modules/onnxruntime-web/package.json',
  'node_modules/onnxruntime-web/dist/ort.webgpu.bundle.min.mjs',
  // The WebGPU bundle loads the asyncify build (checked: the only .wasm it names).
  'node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.mjs',
  'node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.wasm',
];

const ENTRIES: Record<string, string> = {
  gpu_report: 'tools/gpu_report.ts',
  run: 'bench/run.ts',
  node_job: 'bench/node_job.ts',
};

export const RUN_SH = `#!/bin/sh
# GPU report on a machine without Node or network. From the repository root: sh PACK/run.sh [gpu-report options]
set -e
P=$(cd "$(dirname "$0")" && pwd)
cd "$P/.."
if [ ! -x "$P/node" ]; then xz -dc "$P/node.xz" > "$P/node"; chmod +x "$P/node"; fi
for f in gpu_report run node_job; do if [ ! -f "$P/$f.mjs" ]; then xz -dc "$P/$f.mjs.xz" > "$P/$f.mjs"; fi; done
if [ ! -f node_modules/webgpu/dist/linux-x64/dawn.node ]; then tar -xJf "$P/node_modules.tar.xz"; fi
# The Vulkan loader, when the machine has none: .deb files carried in .gl/ (docs/gpu-report.md).
if ! ldconfig -p | grep -q libvulkan.so.1 && [ -d .gl ]; then for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig; fi
# NVIDIA's ICD where the driver is mounted but not registered with the loader.
N=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "$VK_ICD_FILENAMES" ] && [ -z "$VK_DRIVER_FILES" ] && [ -f "$N" ]; then export VK_DRIVER_FILES="$N"; fi
# Models are exported there by the machine's own PyTorch (tools/export_torchvision.py), when missing.
export TESSERA_PYTHON="\${TESSERA_PYTHON:-$(command -v python3 || echo /usr/bin/python3)}"
export TESSERA_NODE_JOB="$P/node_job.mjs" TESSERA_BENCH_RUN="$P/run.mjs"
exec "$P/node" "$P/gpu_report.mjs" "$@"
`;

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

export async function writePack(dir: string, log: (s: string) => void): Promise<number> {
  if (dirname(dir) !== REPO_ROOT) {
    log(`gpu-report --pack: ${dir} must be a direct child of the repository root (${REPO_ROOT}), e.g. .gpu-pack`);
    return 2;
  }
  const missing = RUNTIME_FILES.filter((f) => !existsSync(join(REPO_ROOT, f)));
  if (missing.length) {
    log(`gpu-report --pack: missing ${missing.join(', ')} (run npm install)`);
    return 1;
  }
  mkdirSync(dir, { recursive: true });
  const specifier = 'esbuild'; // a variable: the bundle of this very file must not pull esbuild in
  const esbuild = (await import(specifier)) as typeof import('esbuild');
  const stubs: import('esbuild').Plugin = {
    name: 'stub-chromium-only',
    setup(b) {
      const filter = new RegExp(`^(${STUBBED.join('|')})($|/)`);
      b.onResolve({ filter }, (a) => ({ path: a.path, namespace: 'stub' }));
      b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
    },
  };
  for (const [name, entry] of Object.entries(ENTRIES)) {
    await esbuild.build({
      entryPoints: [join(REPO_ROOT, entry)],
      outfile: join(dir, `${name}.mjs`),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: ['webgpu'],
      plugins: [stubs],
      logLevel: 'warning',
      // CommonJS dependencies inside an ES module bundle call require() for Node's builtins.
      banner: { js: "import { createRequire as __tesseraRequire } from 'node:module'; const require = __tesseraRequire(import.meta.url);" },
    });
    const mjs = join(dir, `${name}.mjs`);
    execFileSync('sh', ['-c', `xz -T0 -9 -c "${mjs}" > "${mjs}.xz"`]);
    log(`  ${name}.mjs.xz ${mib(statSync(`${mjs}.xz`).size)} (${entry}: ${mib(statSync(mjs).size)} bundled)`);
    rmSync(mjs); // run.sh unpacks it there
  }
  const nodeXz = join(dir, 'node.xz');
  execFileSync('sh', ['-c', `xz -T0 -9 -c "${process.execPath}" > "${nodeXz}"`]);
  log(`  node.xz ${mib(statSync(nodeXz).size)} (${process.execPath}, Node ${process.version})`);
  const modulesXz = join(dir, 'node_modules.tar.xz');
  execFileSync('sh', ['-c', `tar -cf - -C "${REPO_ROOT}" ${RUNTIME_FILES.join(' ')} | xz -T0 -9 > "${modulesXz}"`]);
  log(`  node_modules.tar.xz ${mib(statSync(modulesXz).size)}`);
  writeFileSync(join(dir, 'run.sh'), RUN_SH);
  chmodSync(join(dir, 'run.sh'), 0o755);
  rmSync(join(dir, 'node'), { force: true }); // an unpacked binary from a local try must not travel
  const total = ['node.xz', 'node_modules.tar.xz', 'run.sh', ...Object.keys(ENTRIES).map((n) => `${n}.mjs.xz`)].reduce((s, f) => s + statSync(join(dir, f)).size, 0);
  log(`wrote ${relative(REPO_ROOT, dir) || basename(dir)}/: ${mib(total)}; on the GPU machine: sh ${basename(dir)}/run.sh [options] (docs/gpu-report.md)`);
  return 0;
}
