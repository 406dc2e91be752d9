/** Browser bundle for conv3d_gemm.test.ts: the shared test entry plus a switch that forces one 3-D conv variant. */
import '../../harness/browser_test_entry.js';
import { setConv3dVariantOverride, type Conv3dVariant } from '../../../src/backends/webgpu/conv3d_gemm.js';

(globalThis as unknown as { tesseraConv3dTest: unknown }).tesseraConv3dTest = {
  force(variant: Conv3dVariant | null): void {
    setConv3dVariantOverride(variant ? () => variant : undefined);
  },
};
