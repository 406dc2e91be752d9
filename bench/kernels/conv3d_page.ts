/** In-page half of bench/kernels/conv3d.ts: the conv kernel bench page plus a switch that forces a 3-D conv variant. */
import './page.js';
import { setConv3dVariantOverride, type Conv3dVariant } from '../../src/backends/webgpu/conv3d_gemm.js';

(globalThis as unknown as { tesseraConv3dBench: unknown }).tesseraConv3dBench = {
  force(variant: Conv3dVariant | null): void {
    setConv3dVariantOverride(variant ? () => variant : undefined);
  },
};
