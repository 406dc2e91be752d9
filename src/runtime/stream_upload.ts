/**
 * Weights to the GPU as their bytes arrive (streamed `.tessera` load on WebGPU, docs/loading.md). The WebGPU session
 * built from the skeleton graph (placeholder weights, src/format/skeleton.ts) is kept: when a weight's bytes are all
 * in, its placeholder tensor is overwritten in place with the real values and the executor rewrites the constant
 * buffers made from it (WebGPUExecutor.refreshWeights). At the end of the stream, once the payload hash is checked,
 * that session is the result: its graph now holds the real weights, its buffers too.
 *
 * Some of what the executor built depends on weight values (exact f16 / int8 repacks, int8 layouts). refreshWeights
 * makes those choices again with the real values; when one falls differently, or anything else stops the kept session
 * (its build failed, the graph passes rewrote the skeleton), this load is marked `failed` with the reason and the
 * caller builds the session from the verified file as before (correct, only slower). Nothing decided from a
 * placeholder runs.
 */
import type { Graph, Tensor } from '../graph/ir.js';
import type { TensorEntry } from '../format/header.js';
import { fillPlaceholder } from '../format/skeleton.js';
import { tensorFromBytes } from '../format/reader.js';
import type { WebGPUExecutor } from '../backends/webgpu/executor.js';
import type { ProgressReporter } from './stream_load.js';

export class StreamUpload {
  /** Placeholder tensors of the skeleton by file tensor name, until their real values arrive. */
  private placeholders = new Map<string, Tensor>();
  /** The typed arrays still holding placeholder values (the executor waits for all of a node's). */
  private readonly pending = new Set<unknown>();
  /** Arrays filled with real values that the executor has not rewritten yet (it was still being built). */
  private changed = new Set<unknown>();
  /** undefined: the session is being built; null: it has no executor (symbolic input shapes). */
  private executor?: WebGPUExecutor | null;
  private tensorCount = 0;
  /** Why the kept session cannot be the result (the caller rebuilds from the verified file). */
  failed?: string;

  constructor(private readonly progress: ProgressReporter) {}

  /** The skeleton is built: its placeholders are the tensors to watch. */
  begin(placeholders: ReadonlyMap<string, Tensor>, tensorCount: number): void {
    this.placeholders = new Map(placeholders);
    for (const t of placeholders.values()) this.pending.add(t.data);
    this.tensorCount = tensorCount;
  }

  /** Marks the kept session unusable (the first reason is kept). */
  fail(reason: string): void {
    this.failed ??= reason;
    this.changed.clear();
  }

  /** Every byte of a tensor arrived: fill its placeholder and rewrite what the executor made from it. */
  arrived(entry: TensorEntry, bytes: Uint8Array): void {
    const placeholder = this.placeholders.get(entry.name);
    if (!placeholder || this.failed) return; // in the skeleton already (it came before it), or rebuilt anyway
    this.placeholders.delete(entry.name);
    let real: Tensor;
    try {
      real = tensorFromBytes(bytes, entry, true, `tensor '${entry.name}'`);
    } catch (e) {
      // Unverified bytes that do not read: the whole-file read after the stream reports it (or the hash does).
      return this.fail(`tensor '${entry.name}' does not read: ${(e as Error).message}`);
    }
    if (!fillPlaceholder(placeholder, real)) return this.fail(`tensor '${entry.name}' is stored differently from its placeholder`);
    this.pending.delete(placeholder.data);
    this.changed.add(placeholder.data);
    if (this.executor !== undefined) this.flush();
  }

  /**
   * The executor is about to be built from the skeleton: the weights filled so far are read real by the build itself
   * (it plans, repacks and uploads synchronously), so they need no rewrite when it is ready.
   */
  building(): void {
    this.changed.clear();
  }

  /**
   * The session built from the skeleton is ready: `executor` is its WebGPU executor (null: none was built, as with
   * symbolic input shapes), or a string saying why the session cannot be kept. Rewrites what arrived meanwhile.
   */
  attach(executor: WebGPUExecutor | null | string): void {
    if (typeof executor === 'string') return this.fail(executor);
    this.executor = executor;
    this.flush();
  }

  /** The kept session holds every real weight (call at the end of the stream, after the hash check). */
  get complete(): boolean {
    return !this.failed && this.executor !== undefined && this.pending.size === 0 && this.changed.size === 0;
  }

  private flush(): void {
    if (this.failed) return;
    if (this.executor && this.changed.size) {
      let why: string | undefined;
      try {
        why = this.executor.refreshWeights(this.changed, this.pending);
      } catch (e) {
        // Runs inside the stream reader's push: a failure here must not read as a damaged file. Rebuild instead.
        why = `rewriting the weights failed: ${(e as Error).message}`;
      }
      if (why) return this.fail(why);
    }
    this.changed.clear();
    this.progress.update('uploaded', this.tensorCount - this.pending.size, this.tensorCount);
  }
}

/**
 * Why a session built from `skeleton` cannot become the streamed result, or undefined when it can: graph passes
 * that read weight values (optimize, binarize, binary chain packing) would have to run on the real weights.
 */
export function skeletonNotKept(skeleton: Graph, options: { optimize?: unknown; binarize?: unknown }): string | undefined {
  if (options.optimize) return 'graph optimisation (the optimize option) reads the weights';
  if (options.binarize) return 'binary-layer detection (the binarize option) reads the weights';
  // packBinaryChains (Session's default) folds thresholds into the chains it packs: from BinaryConv nodes only.
  if (options.binarize !== false && skeleton.nodes.some((n) => n.op === 'BinaryConv')) return 'binary conv chains are packed from their thresholds';
  return undefined;
}
