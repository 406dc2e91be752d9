/**
 * Which Vulkan driver Dawn may use for the Node host of the benchmark (`npm run bench -- --host node`).
 *
 * On Linux Dawn's WebGPU adapters come from the Vulkan ICDs the loader finds. Machines without a GPU often still have
 * Mesa's ICDs installed (intel, radeon, lvp = llvmpipe); Dawn refuses llvmpipe, so without help it finds no adapter.
 * Chromium's SwiftShader ICD (/usr/lib/chromium/vk_swiftshader_icd.json) works, and pointing VK_ICD_FILENAMES at it
 * hides every other ICD — so it must only be done when no real GPU could be used, or a GPU machine would measure a
 * CPU emulation. The rule (chooseVulkanIcd):
 *   - VK_ICD_FILENAMES (or VK_DRIVER_FILES) already set: the caller decided; leave it.
 *   - not Linux: Dawn uses Metal / D3D12 there, not these ICDs; leave it.
 *   - a hardware ICD (anything but lvp / SwiftShader) AND a GPU device node (/dev/dri/renderD*, /dev/nvidia<N>):
 *     a real GPU is there; leave it (Dawn picks it).
 *   - otherwise, when the SwiftShader ICD exists: set VK_ICD_FILENAMES to it.
 * A second check covers a wrong guess (a device node without a usable driver): when Dawn then finds no adapter, the
 * bench retries with SwiftShader (fallbackAfterProbe).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Where the Vulkan loader looks for ICD manifests on Linux (the system-wide and per-user defaults). */
export const ICD_DIRS = ['/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/share/vulkan/icd.d', join(homedir(), '.local/share/vulkan/icd.d')];

export interface IcdManifest {
  /** The manifest file. */
  file: string;
  /** Its ICD.library_path ('' when unreadable). */
  library: string;
}

export interface IcdFacts {
  platform: NodeJS.Platform;
  /** VK_ICD_FILENAMES or VK_DRIVER_FILES, when set (even to ''). */
  envIcd?: string;
  manifests: IcdManifest[];
  /** GPU device nodes present, e.g. /dev/dri/renderD128, /dev/nvidia0. */
  gpuDeviceNodes: string[];
  /** The SwiftShader ICD manifest, when it exists. */
  swiftshader?: string;
}

export interface IcdChoice {
  /** Value to give VK_ICD_FILENAMES in the job processes; undefined = leave the environment alone. */
  vkIcdFilenames?: string;
  /** One line for the results: what was chosen and why. */
  reason: string;
}

/** CPU-only Vulkan drivers: Mesa's lavapipe (llvmpipe) and SwiftShader. */
export function isCpuIcd(m: IcdManifest): boolean {
  const s = `${m.file} ${m.library}`.toLowerCase();
  return /(^|[/_.\s-])(lvp|lavapipe|llvmpipe)([/_.\s-]|$)/.test(s) || s.includes('swiftshader');
}

export function chooseVulkanIcd(f: IcdFacts): IcdChoice {
  if (f.envIcd !== undefined) return { reason: `VK_ICD_FILENAMES set by the caller (${f.envIcd || 'empty'}): left as is` };
  if (f.platform !== 'linux') return { reason: `${f.platform}: Dawn uses the platform's native GPU API, no Vulkan ICD choice` };
  const hardware = f.manifests.filter((m) => !isCpuIcd(m));
  if (hardware.length && f.gpuDeviceNodes.length) {
    return { reason: `GPU driver(s) ${hardware.map((m) => m.file.split('/').pop()).join(', ')} and device node(s) ${f.gpuDeviceNodes.join(', ')}: Dawn picks the GPU` };
  }
  const why = hardware.length ? `Vulkan GPU driver(s) installed but no GPU device node (/dev/dri/renderD*, /dev/nvidia*)` : 'no Vulkan GPU driver installed';
  if (!f.swiftshader) return { reason: `${why}, and no SwiftShader ICD at ${SWIFTSHADER_ICD}: left as is (Dawn may find no adapter)` };
  return { vkIcdFilenames: f.swiftshader, reason: `${why}: VK_ICD_FILENAMES=${f.swiftshader} (SwiftShader; Dawn refuses Mesa's llvmpipe)` };
}

/**
 * After probing Dawn with `choice`: when it left the environment alone, was not told by the caller, and Dawn found no
 * adapter, SwiftShader is the next try (undefined: keep `choice`).
 */
export function fallbackAfterProbe(choice: IcdChoice, facts: IcdFacts, adapterFound: boolean): IcdChoice | undefined {
  if (adapterFound || choice.vkIcdFilenames || facts.envIcd !== undefined || facts.platform !== 'linux' || !facts.swiftshader) return undefined;
  return { vkIcdFilenames: facts.swiftshader, reason: `${choice.reason}; but Dawn found no adapter, so VK_ICD_FILENAMES=${facts.swiftshader} (SwiftShader)` };
}

function readManifest(file: string): IcdManifest {
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as { ICD?: { library_path?: string } };
    return { file, library: j.ICD?.library_path ?? '' };
  } catch {
    return { file, library: '' };
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** The facts chooseVulkanIcd needs, read from this machine. */
export function gatherIcdFacts(env: NodeJS.ProcessEnv = process.env): IcdFacts {
  const manifests = ICD_DIRS.flatMap((d) => listDir(d).filter((n) => n.endsWith('.json')).map((n) => readManifest(join(d, n))));
  const gpuDeviceNodes = [
    ...listDir('/dev/dri').filter((n) => n.startsWith('renderD')).map((n) => `/dev/dri/${n}`),
    ...listDir('/dev').filter((n) => /^nvidia\d+$/.test(n)).map((n) => `/dev/${n}`),
  ];
  const envIcd = env['VK_ICD_FILENAMES'] ?? env['VK_DRIVER_FILES'];
  return { platform: process.platform, envIcd, manifests, gpuDeviceNodes, swiftshader: existsSync(SWIFTSHADER_ICD) ? SWIFTSHADER_ICD : undefined };
}
