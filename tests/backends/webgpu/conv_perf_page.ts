/** Browser bundle for conv_perf.test.ts: the shared test entry plus a switch that forces one conv variant. */
import '../../harness/browser_test_entry.js';
import { setConvVariantOverride, type ConvVariant } from '../../../src/backends/webgpu/conv_select.js';

(globalThis as unknown as { tesseraConvTest: unknown }).tesseraConvTest = {
  force(variant: ConvVariant | null): void {
    setConvVariantOverride(variant ? () => variant : undefined);
  },
};
