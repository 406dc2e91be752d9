/**
 * Page side: the Session API, with the model living in a Web Worker so inference never blocks the page.
 *
 *   import { WorkerSession } from 'tessera/worker';
 *   // The package's worker script; Vite and webpack 5 bundle it from this line (src/worker/README.md: Vite's dev server)
 *   const worker = new Worker(new URL('tessera/worker-script', import.meta.url), { type: 'module' });
 *   const session = await WorkerSession.create(worker, modelBytes);      // or an absolute URL the worker can fetch
 *   const out = await session.run({ input: tensorOrFloat32Array });
 *   await session.release(); worker.terminate();
 *
 * A worker file of your own works with every bundler and needs no configuration:
 *
 *   // inference.worker.ts
 *   import { serveSessions } from 'tessera/worker';
 *   serveSessions(self as any);
 *   // page: new Worker(new URL('./inference.worker.ts', import.meta.url), { type: 'module' })
 *
 * Errors thrown in the worker come back as WorkerSessionError carrying the original error's `name` (FormatError,
 * InputError, WebGPUUnavailableError...) and message.
 */
import type { GraphMetadata, Tensor, ValueInfo } from '../graph/ir.js';
import { sizeOf } from '../graph/ir.js';
import type { BackendInfo, BackendName, LoadProgress, ProfileResult, TuningReport } from '../runtime/session.js';
import type { LayerProfile } from './layer_profile.js';
import type { ModelFacts } from './model_facts.js';
import { tensorBuffers, type CreateResult, type Endpoint, type Progress, type Request, type Response, type ResultOf, type SerializedError, type WorkerSessionOptions } from './protocol.js';

export class WorkerSessionError extends Error {
  /** The class name of the error inside the worker. */
  readonly remoteName: string;
  constructor(remote: SerializedError) {
    super(remote.message);
    this.remoteName = remote.name;
    this.name = remote.name; // keeps `e.name === 'FormatError'` checks working across the boundary
  }
}

type Feed = Float32Array | Tensor;
type RequestBody = Request extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/** One request/response channel per endpoint, shared by every session on it. */
class Channel {
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; onProgress?: (p: LoadProgress) => void }>();

  constructor(readonly endpoint: Endpoint) {
    endpoint.addEventListener('message', (event: MessageEvent) => {
      const res = event.data as Response | Progress;
      const p = res && this.pending.get(res.id);
      if (!p) return;
      if ('progress' in res) return void p.onProgress?.(res.progress);
      this.pending.delete(res.id);
      if (res.ok) p.resolve(res.result);
      else p.reject(new WorkerSessionError(res.error));
    });
    const fail = (what: string) => (event: Event) => {
      const msg = (event as ErrorEvent).message || what;
      for (const p of this.pending.values()) p.reject(new WorkerSessionError({ name: 'WorkerError', message: msg }));
      this.pending.clear();
    };
    // A module worker whose script or one of its imports fails to load or link gets an error event without a message.
    const noDetails =
      'the worker failed to start or crashed (the browser gives no details when a module worker script or one of its imports fails to load or link: `await import(workerUrl)` in the page console shows the error)';
    (endpoint as unknown as EventTarget).addEventListener?.('error', fail(noDetails));
    (endpoint as unknown as EventTarget).addEventListener?.('messageerror', fail('a message could not be deserialized'));
    (endpoint as { start?: () => void }).start?.(); // MessagePorts need start() with addEventListener
  }

  call<K extends keyof ResultOf>(body: RequestBody & { type: K }, transfer: Transferable[] = [], onProgress?: (p: LoadProgress) => void): Promise<ResultOf[K]> {
    const id = this.nextId++;
    return new Promise<ResultOf[K]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onProgress });
      this.endpoint.postMessage({ ...body, id }, transfer);
    });
  }
}

const channels = new WeakMap<Endpoint, Channel>();
const channelFor = (endpoint: Endpoint) => {
  let c = channels.get(endpoint);
  if (!c) channels.set(endpoint, (c = new Channel(endpoint)));
  return c;
};

export interface RunOptions {
  /** Move the feeds' buffers to the worker instead of copying them (the caller's arrays become empty). */
  transfer?: boolean;
}

export class WorkerSession {
  private released = false;

  private constructor(
    private readonly channel: Channel,
    private readonly info: CreateResult,
  ) {}

  /**
   * `source`: model bytes (copied unless `transfer`), a URL the worker fetches itself, or a ReadableStream of the
   * bytes (transferred; the worker streams it: docs/loading.md). `onProgress`: Session's load progress, relayed.
   */
  static async create(
    endpoint: Endpoint,
    source: Uint8Array | ArrayBuffer | string | ReadableStream<Uint8Array>,
    options: WorkerSessionOptions & { transfer?: boolean; onProgress?: (p: LoadProgress) => void } = {},
  ): Promise<WorkerSession> {
    const channel = channelFor(endpoint);
    const { transfer, onProgress, ...rest } = options;
    const sessionOptions = onProgress ? { ...rest, progress: true } : rest;
    let payload: ArrayBuffer | string | ReadableStream<Uint8Array>;
    if (typeof source === 'string' || source instanceof ReadableStream) payload = source;
    else {
      const view = source instanceof Uint8Array ? source : new Uint8Array(source);
      const whole = view.byteOffset === 0 && view.byteLength === view.buffer.byteLength && view.buffer instanceof ArrayBuffer;
      payload = transfer && whole ? (view.buffer as ArrayBuffer) : (view.slice().buffer as ArrayBuffer);
    }
    const info = await channel.call({ type: 'create', source: payload, options: sessionOptions }, typeof payload === 'string' ? [] : [payload as unknown as Transferable], onProgress);
    return new WorkerSession(channel, info);
  }

  get backend(): BackendName {
    return this.info.backend;
  }
  get fallbackReason(): string | undefined {
    return this.info.fallbackReason;
  }
  /** What the session runs on and why (Session.backendInfo): on WASM also threads, relaxed SIMD, CPU-reference nodes. */
  get backendInfo(): BackendInfo {
    return this.info.backendInfo;
  }
  get deviceDescription(): string | undefined {
    return this.info.deviceDescription;
  }
  get inputs(): ValueInfo[] {
    return this.info.inputs;
  }
  get outputs(): ValueInfo[] {
    return this.info.outputs;
  }
  get metadata(): GraphMetadata {
    return this.info.metadata;
  }
  get facts(): ModelFacts {
    return this.info.facts;
  }
  get format(): CreateResult['format'] {
    return this.info.format;
  }
  /** What conv kernel autotuning did at create in the worker (source 'measured', 'cache', 'miss'...). */
  get tuning(): TuningReport {
    return this.info.tuning;
  }
  /** Model parse + backend build time in the worker (ms). */
  get loadMs(): number {
    return this.info.loadMs;
  }

  private check(): void {
    if (this.released) throw new WorkerSessionError({ name: 'SessionReleasedError', message: 'this session was released' });
  }

  /** Float32Array feeds get the model's input shape (free dims inferred worker-side like Session.run). */
  private toTensors(feeds: Record<string, Feed>, transfer: boolean): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [name, f] of Object.entries(feeds)) {
      const t: Tensor = f instanceof Float32Array ? { dtype: 'f32', shape: this.shapeFor(name, f.length), data: f } : f;
      out[name] = transfer ? t : { ...t, data: t.data.slice() };
    }
    return out;
  }

  private shapeFor(name: string, length: number): number[] {
    const info = this.info.inputs.find((i) => i.name === name);
    if (!info) return [length]; // the worker's InputError names the unknown input
    const known = sizeOf(info.shape.filter((d) => d >= 0));
    const free = info.shape.filter((d) => d < 0).length;
    if (free !== 1 || known === 0 || length % known !== 0) return free === 0 ? [...info.shape] : [length];
    return info.shape.map((d) => (d < 0 ? length / known : d));
  }

  async run(feeds: Record<string, Feed>, options: RunOptions = {}): Promise<Record<string, Tensor>> {
    this.check();
    const tensors = this.toTensors(feeds, !!options.transfer);
    return this.channel.call({ type: 'run', session: this.info.session, feeds: tensors }, tensorBuffers(tensors));
  }

  async profile(feeds?: Record<string, Feed>): Promise<ProfileResult> {
    this.check();
    const tensors = feeds && this.toTensors(feeds, false);
    return this.channel.call({ type: 'profile', session: this.info.session, feeds: tensors }, tensorBuffers(tensors));
  }

  /** Per-layer timings on either backend (see layer_profile.ts). */
  async layerProfile(feeds?: Record<string, Feed>): Promise<LayerProfile> {
    this.check();
    const tensors = feeds && this.toTensors(feeds, false);
    return this.channel.call({ type: 'layerProfile', session: this.info.session, feeds: tensors }, tensorBuffers(tensors));
  }

  /** Frees the session's memory in the worker. The worker itself stays (terminate it when done). */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.channel.call({ type: 'release', session: this.info.session });
  }
}
