/** Browser side of tools/int8/gpu_bytes.ts: build a WebGPU executor for a .tessera file and report its weight bytes. */
import '../../src/node/browser_entry.js';
import { sharedGpu } from '../../src/backends/webgpu/device.js';
import { WebGPUExecutor } from '../../src/backends/webgpu/executor.js';
import { graphFromBytes } from '../../src/runtime/load.js';

(globalThis as unknown as Record<string, unknown>).int8GpuBytes = async (url: string, int8Weights: boolean, runs: number) => {
  const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
  const { graph } = graphFromBytes(bytes);
  const ex = await WebGPUExecutor.create(await sharedGpu(), graph, { int8Weights });
  // Kernels (by program name) that bind an int8 weight, and those that read only f32 / f16 weights.
  const list = (ex as unknown as { list: { program: { name: string; layout?: { slots: { element: string }[] } } }[] }).list;
  const int8Kernels: Record<string, number> = {};
  for (const d of list) if (d.program.layout?.slots.some((s) => s.element === 'i8x4')) int8Kernels[d.program.name] = (int8Kernels[d.program.name] ?? 0) + 1;
  const memory = ex.memory;
  // Median wall time of `runs` runs on a fixed input (after one warm-up), when asked.
  const times: number[] = [];
  const input = graph.inputs.find((i) => !graph.initializers.has(i.name))!;
  const x = new Float32Array(input.shape.reduce((a, d) => a * (d < 0 ? 1 : d), 1)).map((_, i) => Math.sin(i));
  for (let k = 0; k <= runs && runs > 0; k++) {
    const t0 = performance.now();
    await ex.run({ [input.name]: x });
    if (k > 0) times.push(performance.now() - t0);
  }
  ex.release();
  times.sort((a, b) => a - b);
  return { memory, int8Kernels, dispatches: list.length, medianMs: times.length ? times[Math.floor(times.length / 2)] : undefined };
};
