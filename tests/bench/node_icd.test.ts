import { describe, expect, it } from 'vitest';
import { chooseVulkanIcd, fallbackAfterProbe, isCpuIcd, type IcdFacts } from '../../bench/node_icd.js';

const SS = '/usr/lib/chromium/vk_swiftshader_icd.json';
const mesa = [
  { file: '/usr/share/vulkan/icd.d/intel_icd.x86_64.json', library: '/usr/lib/x86_64-linux-gnu/libvulkan_intel.so' },
  { file: '/usr/share/vulkan/icd.d/radeon_icd.x86_64.json', library: '/usr/lib/x86_64-linux-gnu/libvulkan_radeon.so' },
  { file: '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json', library: '/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so' },
];
const nvidia = { file: '/etc/vulkan/icd.d/nvidia_icd.json', library: 'libGLX_nvidia.so.0' };
// This machine: Mesa's ICDs installed, no GPU device node, Chromium's SwiftShader present.
const cpuOnly: IcdFacts = { platform: 'linux', manifests: mesa, gpuDeviceNodes: [], swiftshader: SS };

describe('Vulkan ICD choice for the Node host', () => {
  it('tells CPU drivers (lavapipe, SwiftShader) from GPU drivers', () => {
    expect(isCpuIcd(mesa[2]!)).toBe(true);
    expect(isCpuIcd({ file: SS, library: './libvk_swiftshader.so' })).toBe(true);
    expect(isCpuIcd(mesa[0]!)).toBe(false);
    expect(isCpuIcd(nvidia)).toBe(false);
    // 'lvp' only as a word: a vendor library that merely contains the letters is a GPU driver.
    expect(isCpuIcd({ file: '/x/glvpfoo_icd.json', library: 'libglvpfoo.so' })).toBe(false);
  });

  it('uses SwiftShader when only CPU drivers or no GPU device exist', () => {
    expect(chooseVulkanIcd(cpuOnly).vkIcdFilenames).toBe(SS);
    expect(chooseVulkanIcd(cpuOnly).reason).toMatch(/no GPU device node/);
    expect(chooseVulkanIcd({ ...cpuOnly, manifests: [mesa[2]!] }).reason).toMatch(/no Vulkan GPU driver/);
    expect(chooseVulkanIcd({ ...cpuOnly, manifests: [] }).vkIcdFilenames).toBe(SS);
  });

  it('leaves the environment alone when a GPU is there, the caller chose, or the platform is not Linux', () => {
    const gpu = chooseVulkanIcd({ ...cpuOnly, manifests: [...mesa, nvidia], gpuDeviceNodes: ['/dev/nvidia0'] });
    expect(gpu.vkIcdFilenames).toBeUndefined();
    expect(gpu.reason).toMatch(/nvidia_icd\.json/);
    expect(chooseVulkanIcd({ ...cpuOnly, gpuDeviceNodes: ['/dev/dri/renderD128'] }).vkIcdFilenames).toBeUndefined();
    expect(chooseVulkanIcd({ ...cpuOnly, envIcd: '/my/icd.json' }).vkIcdFilenames).toBeUndefined();
    expect(chooseVulkanIcd({ ...cpuOnly, envIcd: '' }).vkIcdFilenames).toBeUndefined();
    expect(chooseVulkanIcd({ ...cpuOnly, platform: 'darwin' }).vkIcdFilenames).toBeUndefined();
    // A device node with only CPU drivers installed is still no usable GPU.
    expect(chooseVulkanIcd({ ...cpuOnly, manifests: [mesa[2]!], gpuDeviceNodes: ['/dev/dri/renderD128'] }).vkIcdFilenames).toBe(SS);
  });

  it('without SwiftShader, leaves it and says Dawn may find nothing', () => {
    const c = chooseVulkanIcd({ ...cpuOnly, swiftshader: undefined });
    expect(c.vkIcdFilenames).toBeUndefined();
    expect(c.reason).toMatch(/no SwiftShader ICD/);
  });

  it('falls back to SwiftShader only after a guessed GPU gave no adapter', () => {
    const gpuFacts: IcdFacts = { ...cpuOnly, gpuDeviceNodes: ['/dev/dri/renderD128'] };
    const guess = chooseVulkanIcd(gpuFacts);
    expect(fallbackAfterProbe(guess, gpuFacts, true)).toBeUndefined();
    expect(fallbackAfterProbe(guess, gpuFacts, false)?.vkIcdFilenames).toBe(SS);
    // Already SwiftShader, or the caller's own choice, or nothing to fall back to: no retry.
    expect(fallbackAfterProbe(chooseVulkanIcd(cpuOnly), cpuOnly, false)).toBeUndefined();
    const told = { ...gpuFacts, envIcd: '/my/icd.json' };
    expect(fallbackAfterProbe(chooseVulkanIcd(told), told, false)).toBeUndefined();
    const noSs = { ...gpuFacts, swiftshader: undefined };
    expect(fallbackAfterProbe(chooseVulkanIcd(noSs), noSs, false)).toBeUndefined();
  });
});
