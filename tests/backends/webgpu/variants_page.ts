/**
 * Browser bundle for the kernel-variant tests: the shared test entry plus switches that force one conv, Gemm / MatMul
 * or reduction variant in the page (null: the rule again), and the page device's features.
 */
import '../../harness/browser_test_entry.js';
import { setConvVariantOverride, type ConvVariant } from '../../../src/backends/webgpu/conv_select.js';
import { setMatmulVariantOverride, type MatmulVariant } from '../../../src/backends/webgpu/matmul_select.js';
import { setReductionVariantOverride, type ReductionVariant } from '../../../src/backends/webgpu/reduce_select.js';
import { sharedGpu } from '../../../src/backends/webgpu/device.js';

(globalThis as unknown as { tesseraConvTest: unknown }).tesseraConvTest = {
  force(variant: string | null): void {
    setConvVariantOverride(variant ? () => variant as ConvVariant : undefined);
    setMatmulVariantOverride(variant ? () => variant as MatmulVariant : undefined);
    setReductionVariantOverride(variant ? () => variant as ReductionVariant : undefined);
  },
  async features(): Promise<{ subgroups: boolean; f16: boolean; adapter: string }> {
    const gpu = await sharedGpu();
    return { subgroups: gpu.features.subgroups, f16: gpu.features.f16, adapter: gpu.adapterDescription };
  },
};
