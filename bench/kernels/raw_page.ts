/**
 * Raw WGSL timing page for kernel experiments (bench/kernels/raw.ts): compiles a shader, binds random storage
 * buffers (binding 0 = uniform words, then the given storage sizes), dispatches and times with timestamp queries.
 */
import '../../src/node/browser_entry.js';
import { sharedGpu } from '../../src/backends/webgpu/device.js';
import { randomF32 } from '../../tests/harness/rng.js';

export interface RawJob {
  wgsl: string;
  uniforms: number[]; // u32 words
  buffers: number[]; // float counts; the last one is read back
  dispatch: [number, number, number];
  reps: number;
}

const api = {
  async run(job: RawJob): Promise<{ times: number[]; out: number[] }> {
    const { device } = await sharedGpu();
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ code: job.wgsl });
    const info = await module.getCompilationInfo();
    const errs = info.messages.filter((m) => m.type === 'error');
    if (errs.length) throw new Error(errs.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('\n'));
    const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    const ubuf = device.createBuffer({ size: Math.max(16, Math.ceil(job.uniforms.length / 4) * 16), usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(ubuf, 0, new Uint32Array(job.uniforms));
    const bufs = job.buffers.map((n, i) => {
      const b = device.createBuffer({ size: Math.max(16, n * 4), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
      device.queue.writeBuffer(b, 0, randomF32(n, 3 + i) as Float32Array<ArrayBuffer>);
      return b;
    });
    const bg = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: ubuf } }, ...bufs.map((buffer, i) => ({ binding: i + 1, resource: { buffer } }))] });
    const qs = device.createQuerySet({ type: 'timestamp', count: 2 });
    const resolve = device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const times: number[] = [];
    for (let r = 0; r < job.reps; r++) {
      const staging = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      const enc = device.createCommandEncoder();
      const pass = enc.beginComputePass({ timestampWrites: { querySet: qs, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } });
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bg);
      pass.dispatchWorkgroups(...job.dispatch);
      pass.end();
      enc.resolveQuerySet(qs, 0, 2, resolve, 0);
      enc.copyBufferToBuffer(resolve, 0, staging, 0, 16);
      device.queue.submit([enc.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      const t = new BigInt64Array(staging.getMappedRange().slice(0));
      times.push(Number(t[1]! - t[0]!) / 1e6);
      staging.destroy();
    }
    const last = bufs.at(-1)!;
    const n = job.buffers.at(-1)!;
    const rb = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(last, 0, rb, 0, n * 4);
    device.queue.submit([enc.finish()]);
    await rb.mapAsync(GPUMapMode.READ);
    const out = Array.from(new Float32Array(rb.getMappedRange()).slice(0, Math.min(n, 64)));
    const err = await device.popErrorScope();
    if (err) throw new Error(err.message);
    for (const b of [...bufs, ubuf, resolve, rb]) b.destroy();
    return { times, out };
  },
};
(globalThis as unknown as { rawBench: typeof api }).rawBench = api;
