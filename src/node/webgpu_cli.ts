/**
 * WebGPU from the command line (Node). Two paths:
 *   - 'chromium' (default): headless Chromium through playwright-core (src/node/browser_harness.ts); the model is sent
 *     once, then inputs in batches. Works wherever Chromium does (SwiftShader without a GPU).
 *   - 'dawn': the `webgpu` npm package in this process. It works on this machine with
 *     VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json, but has aborted some processes (std::system_error),
 *     so it is only used when asked for (`path: 'dawn'` or TESSERA_WEBGPU_PATH=dawn).
 * Every result says which path ran.
 */
import type { Graph, Tensor, ValueInfo } from '../graph/ir.js';
import { writeTessera } from '../format/writer.js';
import { InputError, isSoftwareAdapter, Session, type ProfileResult } from '../runtime/session.js';
import { startBrowserSession, type BrowserSession } from './browser_harness.js';
import type { PageModelInfo, PageTensor } from './page_api.js';

export type WebGPUPath = 'chromium' | 'dawn';

export interface WebGPURunnerOptions {
  /** Default: TESSERA_WEBGPU_PATH, else 'chromium'. */
  path?: WebGPUPath | 'auto';
  /** Chromium executable (default TESSERA_CHROMIUM or /usr/bin/chromium). */
  executablePath?: string;
  /**
   * Input shapes to build the executor at when the model is opened (SessionOptions.inputShapes), e.g. the shape of
   * the tensor about to be run. Without it a model with symbolic sizes compiles at its first run, at that run's shape.
   */
  inputShapes?: Record<string, number[]>;
  /**
   * Refuse a software adapter (SwiftShader, llvmpipe, isFallbackAdapter): throw SoftwareAdapterError before the model
   * is loaded, so 'auto' can run the WASM backend instead. Chromium's adapter is probed before the model is sent.
   */
  hardwareOnly?: boolean;
}

/** hardwareOnly: the WebGPU adapter found is a software one (`adapter` describes it). */
export class SoftwareAdapterError extends Error {
  override name = 'SoftwareAdapterError';
  constructor(readonly adapter: string) {
    super(`the WebGPU adapter is a software fallback (${adapter})`);
  }
}

/** The page's WebGPU adapter, without loading anything: description as Tessera writes it, and whether it is a fallback. */
async function probeAdapter(session: BrowserSession): Promise<{ description: string; isFallbackAdapter: boolean } | undefined> {
  return session.page.evaluate(async () => {
    const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    const adapter = (await gpu?.requestAdapter()) as { info?: Record<string, unknown>; isFallbackAdapter?: boolean } | null | undefined;
    if (!adapter) return undefined;
    const info = adapter.info ?? {};
    const description = [info['vendor'], info['architecture'], info['device'], info['description']].filter((s) => s).join(' ');
    return { description, isFallbackAdapter: !!(info['isFallbackAdapter'] ?? adapter.isFallbackAdapter) };
  });
}

interface PageApiHandle {
  tessera: { page: typeof import('./page_api.js').pageApi };
}

function toPageFeeds(session: BrowserSession, feeds: Record<string, Tensor>): { feeds: Record<string, { url: string; shape: number[] }>; urls: string[] } {
  const out: Record<string, { url: string; shape: number[] }> = {};
  const urls: string[] = [];
  for (const [name, t] of Object.entries(feeds)) {
    const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>);
    const url = session.serveBytes(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    urls.push(url);
    out[name] = { url, shape: [...t.shape] };
  }
  return { feeds: out, urls };
}

/**
 * An error thrown in the page reaches Node as playwright's Error('page.evaluate: <Name>: <message>\n    at ...').
 * Rebuild it under the page error's name (InputError as the class itself) so callers see the typed error the
 * Session threw, e.g. the CLI reports "InputError: input 'input': the model cannot run at shape [1, 3, 8, 8]: ..."
 * instead of an internal error. Other errors pass through.
 */
function pageError(e: unknown): unknown {
  const m = e instanceof Error ? /^page\.evaluate: ([A-Za-z]\w*Error): ([\s\S]*?)(?:\n\s+at [\s\S]*)?$/.exec(e.message) : null;
  if (!m || m[1] === 'Error' || m[1] === 'TypeError') return e;
  const [, name, message] = m as unknown as [string, string, string];
  const typed = name === 'InputError' ? new InputError(message) : Object.assign(new Error(message), { name });
  return Object.assign(typed, { cause: e });
}

/** A model loaded on WebGPU, reachable from Node. */
export class WebGPURunner {
  private constructor(
    readonly path: WebGPUPath,
    /** e.g. 'navigator (google swiftshader)' or 'dawn-node (...)'. */
    readonly device: string,
    readonly inputs: ValueInfo[],
    readonly outputs: ValueInfo[],
    private readonly local?: Session,
    private readonly browser?: BrowserSession,
    private readonly modelId?: number,
  ) {}

  static async open(modelBytes: Uint8Array, options: WebGPURunnerOptions = {}): Promise<WebGPURunner> {
    const env = process.env['TESSERA_WEBGPU_PATH'];
    const path: WebGPUPath = options.path && options.path !== 'auto' ? options.path : env === 'dawn' ? 'dawn' : 'chromium';
    if (path === 'dawn') {
      const s = await Session.create(modelBytes, { backend: 'webgpu', inputShapes: options.inputShapes });
      return WebGPURunner.checkedLocal(s, options);
    }
    const browser = await startBrowserSession({ executablePath: options.executablePath });
    try {
      if (options.hardwareOnly) {
        const adapter = await probeAdapter(browser);
        // No adapter at all: loadModel below fails with the Session's own message (WebGPUUnavailableError).
        if (adapter && (adapter.isFallbackAdapter || isSoftwareAdapter(adapter.description))) throw new SoftwareAdapterError(`chromium navigator (${adapter.description})`);
      }
      const url = browser.serveBytes(modelBytes);
      const info = await browser.page.evaluate(
        ([u, shapes]) => (globalThis as unknown as PageApiHandle).tessera.page.loadModel(u, 'webgpu', shapes),
        [url, options.inputShapes] as const,
      );
      browser.unserve(url);
      const asInfo = (v: PageModelInfo['inputs'][number]): ValueInfo => ({ name: v.name, shape: v.shape, dtype: v.dtype as ValueInfo['dtype'] });
      return new WebGPURunner('chromium', `chromium ${info.device ?? ''}`.trim(), info.inputs.map(asInfo), info.outputs.map(asInfo), undefined, browser, info.id);
    } catch (e) {
      await browser.close();
      throw pageError(e);
    }
  }

  /**
   * Opens an in-memory graph (e.g. what the CLI already loaded and optimised). Dawn runs it directly; Chromium gets it
   * serialised as .tessera (no further optimisation there).
   */
  static async fromGraph(graph: Graph, options: WebGPURunnerOptions = {}): Promise<WebGPURunner> {
    const env = process.env['TESSERA_WEBGPU_PATH'];
    const path: WebGPUPath = options.path && options.path !== 'auto' ? options.path : env === 'dawn' ? 'dawn' : 'chromium';
    if (path === 'dawn') {
      const s = await Session.create(graph, { backend: 'webgpu', optimize: false, inputShapes: options.inputShapes });
      return WebGPURunner.checkedLocal(s, options);
    }
    return WebGPURunner.open(writeTessera(graph), { ...options, path: 'chromium' });
  }

  /** A Dawn session as a runner, or SoftwareAdapterError (session released) when hardwareOnly and the adapter is software. */
  private static checkedLocal(s: Session, options: WebGPURunnerOptions): WebGPURunner {
    const description = s.deviceDescription ?? 'dawn-node';
    if (options.hardwareOnly && isSoftwareAdapter(description)) {
      s.release();
      throw new SoftwareAdapterError(description);
    }
    return new WebGPURunner('dawn', description, s.inputs, s.outputs, s);
  }

  async run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    if (this.local) return this.local.run(feeds);
    const browser = this.browser!;
    const { feeds: pageFeeds, urls } = toPageFeeds(browser, feeds);
    try {
      const out = await browser.page.evaluate(
        ([id, f]) => (globalThis as unknown as PageApiHandle).tessera.page.run(id as number, f as Record<string, { url: string; shape: number[] }>),
        [this.modelId, pageFeeds] as const,
      );
      const result: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(out as Record<string, PageTensor>)) result[name] = { dtype: 'f32', shape: t.shape, data: Float32Array.from(t.data) };
      return result;
    } catch (e) {
      throw pageError(e);
    } finally {
      for (const u of urls) browser.unserve(u);
    }
  }

  /**
   * Runs `images` (each one item of `inputName`, e.g. [3, 32, 32] floats) in batches of `batchSize` along dim 0 and
   * returns one output record per batch. The model's batch dim must be free (-1) for batchSize > 1.
   */
  async runBatches(inputName: string, itemShape: number[], images: Float32Array[], batchSize: number): Promise<Record<string, Tensor>[]> {
    const per = itemShape.reduce((a, b) => a * b, 1);
    const results: Record<string, Tensor>[] = [];
    for (let start = 0; start < images.length; start += batchSize) {
      const chunk = images.slice(start, start + batchSize);
      const data = new Float32Array(chunk.length * per);
      chunk.forEach((img, i) => data.set(img, i * per));
      results.push(await this.run({ [inputName]: { dtype: 'f32', shape: [chunk.length, ...itemShape], data } }));
    }
    return results;
  }

  async profile(): Promise<ProfileResult> {
    if (this.local) return this.local.profile();
    return (await this.browser!.page.evaluate((id) => (globalThis as unknown as PageApiHandle).tessera.page.profile(id), this.modelId!)) as ProfileResult;
  }

  async close(): Promise<void> {
    this.local?.release();
    if (this.browser) await this.browser.close();
  }
}

/** One-shot helper: loads the model on WebGPU, runs each feed, closes. */
export async function runInChromium(
  modelBytes: Uint8Array,
  inputs: Record<string, Tensor>[],
  options: WebGPURunnerOptions = {},
): Promise<{ outputs: Record<string, Tensor>[]; path: WebGPUPath; device: string }> {
  const runner = await WebGPURunner.open(modelBytes, { path: 'chromium', ...options });
  try {
    const outputs: Record<string, Tensor>[] = [];
    for (const feed of inputs) outputs.push(await runner.run(feed));
    return { outputs, path: runner.path, device: runner.device };
  } finally {
    await runner.close();
  }
}
