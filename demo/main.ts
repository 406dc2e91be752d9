/**
 * The Tessera demo page. Inference runs in a Web Worker (src/worker/) so the page stays responsive; models come
 * through the hash-checked IndexedDB cache (src/cache/); images of any kind go through src/image/.
 *
 * URL parameters: ?model=<id from models/index.json, a model URL, or 'none' to start without one>
 *                 (or 'lraspp-random': the segmentation example, built in the page, demo/lib/segmentation.ts)
 *                 ?backend=auto|webgpu|wasm|cpu (default auto: WebGPU on a hardware adapter, else WebAssembly SIMD;
 *                 the page shows which runs and why)  ?threads=N (WASM threads)  ?nocache=1
 *                 ?autotune=on|cached|off (conv kernel autotuning, default on: the first visit measures the kernels
 *                 on this GPU and stores the table in IndexedDB, later visits load it; docs/autotune.md)
 */
import { loadCached, streamCached, type DownloadProgress } from '../src/cache/index.js';
import type { LoadProgress } from '../src/runtime/session.js';
import { preprocessImage, type ImageInput } from '../src/image/index.js';
import { batchToTensor, inputGeometry, normalizationFor } from '../src/io/preprocess.js';
import { preprocessingMetadata } from '../src/image/index.js';
import type { Tensor } from '../src/graph/ir.js';
import { WorkerSession } from '../src/worker/client.js';
import { renderLayerChart, renderTop5 } from './lib/charts.js';
import { fetchCifarTest, type CifarSlice } from './lib/cifar.js';
import { byId, el, formatBytes, formatCount, formatMs, formatSi, median } from './lib/dom.js';
import { setupDrawPad } from './lib/draw_pad.js';
import { describeError, describeModelError } from './lib/errors.js';
import { loadManifest, modelUrl, type ModelEntry } from './lib/manifest.js';
import { clearNotice, showNotice } from './lib/notices.js';
import { argmax, topK } from './lib/predictions.js';
import { describeTuning } from './lib/tuning.js';
import {
  buildSegmentationModel, classMap, drawSegInput, drawSegmentation, RANDOM_WEIGHTS_NOTE, renderLegend, segInputTensor, SEG_MAX_SIDE, SEGMENTATION_ID, SEGMENTATION_TITLE,
} from './lib/segmentation.js';
import { startWebcam, stopWebcam } from './lib/webcam.js';

const params = new URLSearchParams(location.search);
const backendParam = params.get('backend');
const BACKEND = backendParam === 'cpu' || backendParam === 'webgpu' || backendParam === 'wasm' ? backendParam : 'auto';
const threadsParam = Number(params.get('threads'));
const NUM_THREADS = Number.isInteger(threadsParam) && threadsParam > 0 ? threadsParam : undefined;
const USE_CACHE = params.get('nocache') === null;
const autotuneParam = params.get('autotune');
const AUTOTUNE = autotuneParam === 'off' ? false : autotuneParam === 'cached' ? 'cached' : true;
const STEADY_RUNS = 5;
const ACCURACY_BATCH = 100;

const ui = {
  adapter: byId('adapter'),
  modelSelect: byId<HTMLSelectElement>('model-select'),
  modelFile: byId<HTMLInputElement>('model-file'),
  download: byId('download'),
  downloadBar: byId<HTMLProgressElement>('download-bar'),
  downloadText: byId('download-text'),
  modelStatus: byId('model-status'),
  facts: byId('facts'),
  dropZone: byId('drop-zone'),
  preview: byId<HTMLCanvasElement>('preview'),
  modelView: byId<HTMLCanvasElement>('model-view'),
  modelViewCaption: byId('model-view-caption'),
  imageFile: byId<HTMLInputElement>('image-file'),
  webcamButton: byId<HTMLButtonElement>('webcam-button'),
  webcamCapture: byId<HTMLButtonElement>('webcam-capture'),
  webcamLive: byId<HTMLInputElement>('webcam-live'),
  webcamLiveLabel: byId('webcam-live-label'),
  webcam: byId<HTMLVideoElement>('webcam'),
  samplesBlock: byId('samples-block'),
  samples: byId('samples'),
  drawBlock: byId('draw-block'),
  drawPad: byId<HTMLCanvasElement>('draw-pad'),
  drawClear: byId('draw-clear'),
  top5: byId('top5'),
  latency: byId('latency'),
  layersNote: byId('layers-note'),
  layerChart: byId('layer-chart'),
  accCount: byId<HTMLSelectElement>('acc-count'),
  accRun: byId<HTMLButtonElement>('acc-run'),
  accBar: byId<HTMLProgressElement>('acc-bar'),
  accResult: byId('acc-result'),
  accPanel: byId('accuracy-panel'),
  segBlock: byId('seg-block'),
  segImage: byId<HTMLCanvasElement>('seg-image'),
  segOverlay: byId<HTMLCanvasElement>('seg-overlay'),
  segLegend: byId('seg-legend'),
  segNote: byId('seg-note'),
  resultTitle: byId('result-title'),
};

// ------------------------------------------------------------------------------------------------ state

interface Loaded {
  session: WorkerSession;
  entry: ModelEntry | undefined;
  label: string;
  fileBytes: number;
  /** 'segment': the segmentation example (class map overlay instead of the top-5). */
  task: 'classify' | 'segment';
  firstMs?: number;
  steadyMs?: number;
  /** Latency of the most recent image run (kept so a later steady-state update still shows it). */
  lastMs?: number;
  /** Settles when the steady-latency runs and the layer profile are done (the accuracy run waits for it). */
  measured?: Promise<void>;
}

let manifest: ModelEntry[] = [];
let worker: Worker | undefined;
let loaded: Loaded | undefined;
let loadToken = 0;
let lastImage: ImageInput | undefined;
/** Where the last image was preprocessed (shown with the latency). */
let preprocessedOn: 'gpu' | 'cpu' | undefined;
let webcamStream: MediaStream | undefined;
let accuracyRunning = false;
let accuracyStop = false;

function setState(state: 'starting' | 'loading' | 'ready' | 'error'): void {
  document.body.dataset['state'] = state;
}

function getWorker(): Worker {
  if (!worker) {
    worker = new Worker(new URL('../src/worker/worker.ts', import.meta.url), { type: 'module', name: 'tessera-inference' });
    worker.addEventListener('error', (e) => showNotice('worker', 'error', `The inference worker failed: ${e.message || 'it could not start'}`));
  }
  return worker;
}

// ------------------------------------------------------------------------------------------------ model loading

function showDownload(p: DownloadProgress | null): void {
  ui.download.hidden = p === null;
  if (!p) return;
  ui.downloadBar.max = p.total ?? Math.max(p.loaded, 1);
  ui.downloadBar.value = p.loaded;
  ui.downloadText.textContent = p.total ? `${formatBytes(p.loaded)} / ${formatBytes(p.total)}` : formatBytes(p.loaded);
}

/**
 * The load figures of a streamed model: bytes received, tensors complete, pipelines compiled and (WebGPU) tensors
 * uploaded to the GPU (docs/loading.md).
 */
function showLoadProgress(p: LoadProgress): void {
  ui.download.hidden = false;
  ui.downloadBar.max = p.bytes.total ?? Math.max(p.bytes.loaded, 1);
  ui.downloadBar.value = p.bytes.loaded;
  const bytes = p.bytes.total ? `${formatBytes(p.bytes.loaded)} / ${formatBytes(p.bytes.total)}` : formatBytes(p.bytes.loaded);
  const pipelines = p.pipelines.total ? ` · pipelines ${p.pipelines.done} / ${p.pipelines.total}` : '';
  const uploaded = p.uploaded.total ? ` · on the GPU ${p.uploaded.done} / ${p.uploaded.total}` : '';
  ui.downloadText.textContent = `${bytes} · tensors ${p.tensors.done} / ${p.tensors.total}${pipelines}${uploaded}`;
}

/** Whether this browser can hand a ReadableStream to the worker (transferable streams), so it can stream the model. */
function canTransferStreams(): boolean {
  try {
    const s = new ReadableStream();
    structuredClone(s, { transfer: [s as unknown as Transferable] });
    return true;
  } catch {
    return false;
  }
}

/**
 * Streams a manifest model into the worker: the worker's Session compiles pipelines from the header while the weights
 * arrive, and the cache stores the file as it streams by.
 */
async function streamModel(entry: ModelEntry, url: string): Promise<void> {
  const result = await streamCached(url, { expectedSha256: entry.sha256, store: USE_CACHE ? undefined : null });
  const size = result.total === null ? '' : ` ${formatBytes(result.total)}`;
  const from =
    result.source === 'cache'
      ? `Loaded from this browser’s cache (${size.trim()}, SHA-256 verified)`
      : `Downloaded${size} (streamed: compiled while downloading)${USE_CACHE ? ' and stored in the browser cache' : ''}`;
  // Notes from reading the cache now; those of storing the download once it is stored.
  const early = result.notes.length;
  result.notes.forEach((note) => showNotice('cache', 'info', `Model cache: ${note}.`));
  void result.stored.then(() => result.notes.slice(early).forEach((note) => showNotice('cache', 'info', `Model cache: ${note}.`)));
  await openModel(result.stream, entry, entry.title, from, result.source, 'classify', result.total ?? 0);
}

async function fetchModel(entry: ModelEntry | undefined, url: string): Promise<{ bytes: Uint8Array; from: string; source: 'cache' | 'network' }> {
  const result = await loadCached(url, {
    expectedSha256: entry?.sha256,
    onProgress: showDownload,
    store: USE_CACHE ? undefined : null,
  });
  showDownload(null);
  for (const note of result.notes) showNotice('cache', 'info', `Model cache: ${note}.`);
  const from =
    result.source === 'cache'
      ? `Loaded from this browser’s cache (${formatBytes(result.bytes.length)}, SHA-256 verified)`
      : `Downloaded ${formatBytes(result.bytes.length)}${USE_CACHE ? ' and stored in the browser cache' : ''}`;
  return { bytes: result.bytes, from, source: result.source };
}

async function openModel(
  bytes: Uint8Array | ReadableStream<Uint8Array>,
  entry: ModelEntry | undefined,
  label: string,
  fromText: string,
  source: string,
  task: Loaded['task'] = 'classify',
  fileBytes = bytes instanceof Uint8Array ? bytes.length : 0,
): Promise<void> {
  const token = ++loadToken;
  ui.modelStatus.textContent = `${fromText}. Preparing ${label}…`;
  const previous = loaded;
  loaded = undefined;
  await previous?.session.release().catch(() => undefined);
  // Autotuning: measured on the first visit with this GPU (part of the load time), loaded from IndexedDB afterwards.
  const streamed = bytes instanceof ReadableStream;
  const session = await WorkerSession.create(getWorker(), bytes, {
    backend: BACKEND,
    numThreads: NUM_THREADS,
    optimize: true,
    transfer: true,
    autotune: AUTOTUNE,
    ...(streamed ? { onProgress: showLoadProgress } : {}),
  }).finally(() => streamed && showDownload(null));
  if (token !== loadToken) {
    void session.release();
    return;
  }
  const m: Loaded = { session, entry, label, fileBytes, task };
  loaded = m;
  ui.modelStatus.textContent = `${fromText}. ${label} ready in ${formatMs(session.loadMs)}.`;
  ui.modelStatus.dataset['source'] = source;
  showBackend(session);
  renderFacts(m);
  configureInputs(task === 'segment' ? 'segment' : entry?.dataset ?? guessDataset(session));
  setState('ready');
  // The first image: the last one the user gave, else the first sample.
  if (lastImage) await classify(lastImage);
  else if (!ui.samplesBlock.hidden) await selectSample(0);
  // `loaded` may already be another model: the first classification awaits, and the user can open a file meanwhile.
  m.measured = measureSteady(token);
}

async function loadEntry(entry: ModelEntry): Promise<void> {
  setState('loading');
  clearNotice('model');
  clearNotice('cache');
  ui.modelStatus.dataset['source'] = '';
  ui.modelStatus.textContent = `Loading ${entry.title}…`;
  try {
    if (canTransferStreams()) await streamModel(entry, modelUrl(entry));
    else {
      const { bytes, from, source } = await fetchModel(entry, modelUrl(entry));
      await openModel(bytes, entry, entry.title, from, source);
    }
  } catch (e) {
    failLoad(e, entry.title, () => void loadEntry(entry));
  }
}

/** The segmentation example: no model file to download, the page builds it (random weights; demo/lib/segmentation.ts). */
async function loadSegmentation(): Promise<void> {
  setState('loading');
  clearNotice('model');
  clearNotice('cache');
  ui.modelStatus.dataset['source'] = '';
  ui.modelStatus.textContent = `Building ${SEGMENTATION_TITLE}…`;
  try {
    const built = await buildSegmentationModel();
    const from = `Built in this page from a weight-free skeleton (${formatBytes(built.downloaded)} downloaded) with ${formatCount(built.parameters)} random weights (${formatBytes(built.bytes.length)} ONNX)`;
    await openModel(built.bytes, undefined, SEGMENTATION_TITLE, from, 'built', 'segment');
  } catch (e) {
    failLoad(e, SEGMENTATION_TITLE, () => void loadSegmentation());
  }
}

async function loadUrl(url: string): Promise<void> {
  setState('loading');
  clearNotice('model');
  try {
    const { bytes, from, source } = await fetchModel(undefined, url);
    await openModel(bytes, undefined, url, from, source);
  } catch (e) {
    failLoad(e, `the model at ${url}`, () => void loadUrl(url));
  }
}

async function loadFile(file: File): Promise<void> {
  setState('loading');
  clearNotice('model');
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    await openModel(bytes, undefined, file.name, `Opened ${file.name} (${formatBytes(bytes.length)})`, 'file');
  } catch (e) {
    failLoad(e, file.name);
  }
}

function failLoad(e: unknown, what: string, retry?: () => void): void {
  showDownload(null);
  setState('error');
  const text = describeModelError(e, what);
  ui.modelStatus.textContent = 'No model loaded.';
  showNotice('model', 'error', text, retry ? { label: 'Retry', run: retry } : undefined);
  console.error(e);
}

function guessDataset(session: WorkerSession): 'cifar10' | 'mnist' {
  const meta = preprocessingMetadata(session.metadata);
  return meta.inputSize?.[0] === 1 || session.inputs[0]?.shape[1] === 1 ? 'mnist' : 'cifar10';
}

function showBackend(session: WorkerSession): void {
  const info = session.backendInfo;
  const why = info.reason ?? `?backend=${BACKEND} was requested`;
  ui.adapter.dataset['reason'] = info.reason ?? '';
  if (session.backend === 'webgpu') {
    ui.adapter.textContent = `WebGPU · ${session.deviceDescription ?? 'GPU'}`;
    ui.adapter.title = `Why: ${info.reason ?? (BACKEND === 'webgpu' ? '?backend=webgpu was requested' : 'a hardware WebGPU adapter')}`;
    clearNotice('backend');
  } else if (session.backend === 'wasm') {
    const threads = info.threads ?? 1;
    const simd = info.relaxedSimd ? 'relaxed SIMD' : 'SIMD';
    ui.adapter.textContent = `WebAssembly ${simd} · ${threads} thread${threads === 1 ? '' : 's'}`;
    ui.adapter.title = `Why: ${why}`;
    ui.adapter.dataset['threads'] = String(threads);
    ui.adapter.dataset['relaxedSimd'] = String(!!info.relaxedSimd);
    const notes = [info.threadsNote, info.fallbackNodes?.length ? `${info.fallbackNodes.length} layer(s) on the CPU reference kernel` : undefined].filter((n) => n);
    showNotice('backend', 'info', `Running on the WebAssembly backend (${simd}, ${threads} thread${threads === 1 ? '' : 's'}${crossOriginIsolated ? ', cross-origin isolated' : ''}). Why: ${why}.${notes.length ? ` ${notes.join('; ')}.` : ''}`);
  } else {
    ui.adapter.textContent = 'CPU backend';
    const why = session.fallbackReason ?? (BACKEND === 'cpu' ? 'the CPU backend was requested (?backend=cpu)' : 'unknown reason');
    showNotice('backend', 'warn', `WebGPU is not available here, so the model runs on the CPU backend (slower). Reason: ${why}.`);
  }
  document.body.dataset['backend'] = session.backend;
}

/** e.g. 'int8 storage: 288.8 KiB, 53 % of the f16 file (549.9 KiB)' for an int8 offer. */
function weightsFact(entry: ModelEntry): string {
  const base = entry.int8Of ? manifest.find((e) => e.id === entry.int8Of) : undefined;
  if (!base) return `${entry.weights} storage`;
  return `${entry.weights} storage: ${formatBytes(entry.bytes)}, ${Math.round((100 * entry.bytes) / base.bytes)} % of the ${base.weights} file (${formatBytes(base.bytes)})`;
}

function renderFacts(m: Loaded): void {
  const f = m.session.facts;
  const prov = m.session.metadata.provenance ?? {};
  const rows: [string, string][] = [
    ['Model', f.name ?? m.label],
    ['Parameters', formatCount(f.params)],
    ['MACs / image', f.macs === null || m.task === 'segment' ? 'depends on the input size' : `${formatSi(f.macs)}MAC`],
    ['File size', formatBytes(m.fileBytes)],
    ['Weights', m.entry ? weightsFact(m.entry) : m.session.format],
    ['Binary layers', String(f.binaryLayers)],
    ['Layers', `${f.nodes} (${Object.entries(f.ops).map(([op, n]) => `${op}×${n}`).join(', ')})`],
    ['Kernels', describeTuning(m.session.tuning, m.session.backend)],
  ];
  if (m.entry?.publishedAccuracy !== undefined) rows.push(['Published accuracy', `${m.entry.publishedAccuracy.toFixed(2)} %`]);
  const source = m.entry?.source ?? prov['meta.source'];
  const license = m.entry?.license ?? prov['meta.license'];
  if (source) rows.push(['Source', source]);
  if (license) rows.push(['License', license]);
  ui.facts.replaceChildren(...rows.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v, 'data-fact': k })]));
  const kernels = ui.facts.querySelector<HTMLElement>('dd[data-fact="Kernels"]');
  if (kernels) kernels.dataset['tuning'] = m.session.backend === 'webgpu' ? m.session.tuning.source : m.session.backend;
}

function configureInputs(dataset: 'cifar10' | 'mnist' | 'segment'): void {
  ui.samplesBlock.hidden = dataset === 'mnist';
  ui.drawBlock.hidden = dataset !== 'mnist';
  ui.accPanel.hidden = dataset !== 'cifar10';
  const segment = dataset === 'segment';
  ui.segBlock.hidden = !segment;
  ui.top5.hidden = segment;
  ui.resultTitle.textContent = segment ? 'Segmentation' : 'Prediction';
  document.body.dataset['task'] = segment ? 'segment' : 'classify';
  if (segment) {
    ui.segNote.textContent = RANDOM_WEIGHTS_NOTE;
    ui.segLegend.replaceChildren();
    ui.segOverlay.dataset['done'] = 'false';
  }
}

// ------------------------------------------------------------------------------------------------ classification

let busy = false;
let pending: ImageInput | undefined;

/** Classifies one image; while a run is in flight only the newest request waits (webcam frames, fast clicks). */
async function classify(src: ImageInput): Promise<void> {
  lastImage = src;
  if (busy) {
    pending = src;
    return;
  }
  busy = true;
  try {
    let next: ImageInput | undefined = src;
    while (next) {
      pending = undefined;
      await classifyNow(next);
      next = pending;
    }
  } finally {
    busy = false;
  }
}

async function classifyNow(src: ImageInput): Promise<void> {
  const m = loaded;
  if (!m) return;
  if (m.task === 'segment') return segmentNow(src, m);
  let input: Tensor;
  try {
    // On the page's GPU where WebGPU can take the source (same rule and result as the CPU path), else on the CPU.
    const pre = await preprocessImage(src, { inputShape: m.session.inputs[0]!.shape, metadata: m.session.metadata }, { backend: BACKEND === 'cpu' ? 'cpu' : 'auto' });
    input = pre.tensor;
    preprocessedOn = pre.backend;
    if (pre.fallbackReason && 'gpu' in navigator) console.info(`image preprocessing on the CPU: ${pre.fallbackReason}`);
    await drawPreview(src);
    drawModelView(input, m);
  } catch (e) {
    showNotice('image', 'error', `Could not read this image: ${describeError(e)}`);
    return;
  }
  clearNotice('image');
  const t0 = performance.now();
  let out: Record<string, Tensor>;
  try {
    out = await m.session.run({ [m.session.inputs[0]!.name]: input });
  } catch (e) {
    showNotice('run', 'error', `Inference failed: ${describeError(e)}`);
    return;
  }
  const ms = performance.now() - t0;
  if (m !== loaded) return;
  clearNotice('run');
  const scores = Object.values(out)[0]!.data as Float32Array;
  renderTop5(ui.top5, topK(scores, 5, m.session.metadata.labels));
  m.firstMs ??= ms;
  renderLatency(m, ms);
}

/** The segmentation example: the image at the model's input size (aspect kept), the class map as an overlay. */
async function segmentNow(src: ImageInput, m: Loaded): Promise<void> {
  let bitmap: ImageBitmap;
  let input: Tensor;
  try {
    bitmap = await createImageBitmap(src as ImageBitmapSource);
    input = segInputTensor(bitmap);
    preprocessedOn = 'cpu';
    await drawPreview(src);
    drawSegInput(ui.modelView, input);
    ui.modelViewCaption.textContent = `what the model sees (${input.shape[3]}×${input.shape[2]})`;
  } catch (e) {
    showNotice('image', 'error', `Could not read this image: ${describeError(e)}`);
    return;
  }
  clearNotice('image');
  const inputCopy = (input.data as Float32Array).slice();
  const t0 = performance.now();
  let out: Record<string, Tensor>;
  try {
    out = await m.session.run({ [m.session.inputs[0]!.name]: input });
  } catch (e) {
    bitmap.close();
    showNotice('run', 'error', `Inference failed: ${describeError(e)}`);
    return;
  }
  const ms = performance.now() - t0;
  if (m !== loaded) return bitmap.close();
  clearNotice('run');
  const map = classMap(Object.values(out)[0]!);
  drawSegmentation(ui.segImage, ui.segOverlay, bitmap, map, 320);
  bitmap.close();
  renderLegend(ui.segLegend, map);
  // For the end-to-end test: the exact input and the class map, to compare with the CPU backend in Node.
  (globalThis as Record<string, unknown>)['__tesseraSegmentation'] = { input: { shape: input.shape, data: Array.from(inputCopy) }, classes: Array.from(map.classes), h: map.h, w: map.w };
  ui.segOverlay.dataset['done'] = 'true';
  m.firstMs ??= ms;
  renderLatency(m, ms);
}

function renderLatency(m: Loaded, lastMs = m.lastMs): void {
  m.lastMs = lastMs;
  const parts = [`first run ${m.firstMs !== undefined ? formatMs(m.firstMs) : '…'}`];
  parts.push(m.steadyMs !== undefined ? `steady ${formatMs(m.steadyMs)} (median of ${STEADY_RUNS})` : 'steady: measuring…');
  if (lastMs !== undefined) parts.push(`this image ${formatMs(lastMs)}`);
  if (preprocessedOn) parts.push(`image preprocessed on the ${preprocessedOn.toUpperCase()}`);
  ui.latency.dataset['preprocess'] = preprocessedOn ?? '';
  ui.latency.textContent = `Latency (page → worker → ${m.session.backend === 'webgpu' ? 'GPU' : m.session.backend === 'wasm' ? 'WASM' : 'CPU'} → page): ${parts.join(' · ')}`;
  ui.latency.dataset['first'] = String(m.firstMs ?? '');
  ui.latency.dataset['steady'] = String(m.steadyMs ?? '');
}

/** Steady-state latency and the per-layer chart, once per loaded model. */
async function measureSteady(token: number): Promise<void> {
  const m = loaded;
  if (!m || token !== loadToken) return;
  const input = m.session.inputs[0]!;
  // The segmentation model's H and W are symbolic: time it at a square input of the size it runs at.
  const shape = m.task === 'segment' ? [1, 3, SEG_MAX_SIDE, SEG_MAX_SIDE] : input.shape.map((d) => (d < 0 ? 1 : d));
  const zeros = new Float32Array(shape.reduce((a, b) => a * b, 1));
  try {
    if (m.firstMs === undefined) {
      const t0 = performance.now();
      await m.session.run({ [input.name]: { dtype: 'f32', shape, data: zeros } });
      m.firstMs = performance.now() - t0;
    }
    const times: number[] = [];
    for (let i = 0; i < STEADY_RUNS; i++) {
      const t0 = performance.now();
      await m.session.run({ [input.name]: { dtype: 'f32', shape, data: zeros } });
      times.push(performance.now() - t0);
    }
    if (m !== loaded) return;
    m.steadyMs = median(times);
    renderLatency(m);
    const profile = await m.session.layerProfile(m.task === 'segment' ? { [input.name]: { dtype: 'f32', shape, data: zeros } } : undefined);
    if (m !== loaded) return;
    renderLayerChart(ui.layerChart, ui.layersNote, profile);
  } catch (e) {
    showNotice('profile', 'warn', `Timing measurement failed: ${describeError(e)}`);
  }
}

async function drawPreview(src: ImageInput): Promise<void> {
  const bitmap = await createImageBitmap(src as ImageBitmapSource);
  const c = ui.preview;
  const ctx = c.getContext('2d')!;
  ctx.clearRect(0, 0, c.width, c.height);
  const s = Math.min(c.width / bitmap.width, c.height / bitmap.height);
  const w = bitmap.width * s;
  const h = bitmap.height * s;
  ctx.imageSmoothingEnabled = bitmap.width > c.width; // keep tiny CIFAR images crisp
  ctx.drawImage(bitmap, (c.width - w) / 2, (c.height - h) / 2, w, h);
  bitmap.close();
}

/** The input tensor turned back into pixels: exactly what the network receives (after crop and resize). */
function drawModelView(input: Tensor, m: Loaded): void {
  const [, C, H, W] = input.shape as number[];
  const meta = preprocessingMetadata(m.session.metadata);
  const norm = normalizationFor(meta, C!);
  const c = ui.modelView;
  c.width = W!;
  c.height = H!;
  const img = new ImageData(W!, H!);
  const data = input.data as Float32Array;
  for (let y = 0; y < H!; y++)
    for (let x = 0; x < W!; x++)
      for (let k = 0; k < 3; k++) {
        const ch = C === 1 ? 0 : norm.bgr ? 2 - k : k;
        const v = (data[(ch * H! + y) * W! + x]! * norm.std[ch]! + norm.mean[ch]!) / norm.pixelScale;
        img.data[(y * W! + x) * 4 + k] = Math.max(0, Math.min(255, Math.round(v)));
      }
  for (let i = 3; i < img.data.length; i += 4) img.data[i] = 255;
  c.getContext('2d')!.putImageData(img, 0, 0);
  ui.modelViewCaption.textContent = `what the model sees (${W}×${H})`;
}

// ------------------------------------------------------------------------------------------------ image inputs

async function imageFromBlob(blob: Blob): Promise<ImageBitmap> {
  // No colour-space conversion: the pixels the file stores are the pixels the model gets (as in the CLI).
  return createImageBitmap(blob, { colorSpaceConversion: 'none', imageOrientation: 'from-image' });
}

async function classifyBlob(blob: Blob, what: string): Promise<void> {
  if (!blob.type.startsWith('image/') && blob.type !== '') {
    showNotice('image', 'error', `${what} is not an image (${blob.type}).`);
    return;
  }
  try {
    selectSampleButton(-1);
    await classify(await imageFromBlob(blob));
  } catch (e) {
    showNotice('image', 'error', `Could not decode ${what}: ${describeError(e)}`);
  }
}

interface Sample {
  file: string;
  index: number;
  label: number;
  className: string;
}
let samples: Sample[] = [];

async function loadSamples(): Promise<void> {
  try {
    const res = await fetch('samples/samples.json');
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    samples = ((await res.json()) as { samples: Sample[] }).samples;
  } catch (e) {
    showNotice('samples', 'warn', `The sample images could not be loaded (${describeError(e)}).`);
    return;
  }
  ui.samples.replaceChildren(
    ...samples.map((s, i) => {
      const b = el('button', { type: 'button', class: 'sample', role: 'listitem', 'data-index': String(i), 'data-label': s.className, title: `test image ${s.index}: ${s.className}`, 'aria-label': `test image ${s.index} (${s.className})` }, [
        el('img', { src: `samples/${s.file}`, alt: s.className, width: '32', height: '32' }),
      ]);
      b.addEventListener('click', () => void selectSample(i));
      return b;
    }),
  );
}

function selectSampleButton(i: number): void {
  for (const b of ui.samples.querySelectorAll('.sample')) b.classList.toggle('selected', (b as HTMLElement).dataset['index'] === String(i));
}

async function selectSample(i: number): Promise<void> {
  const s = samples[i];
  if (!s) return;
  selectSampleButton(i);
  try {
    const res = await fetch(`samples/${s.file}`);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    await classify(await imageFromBlob(await res.blob()));
  } catch (e) {
    showNotice('image', 'error', `Could not load sample ${s.file}: ${describeError(e)}`);
  }
}

function setupImageInputs(): void {
  ui.imageFile.addEventListener('change', () => {
    const f = ui.imageFile.files?.[0];
    if (f) void classifyBlob(f, f.name);
    ui.imageFile.value = '';
  });
  const zone = ui.dropZone;
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    const f = e.dataTransfer?.files?.[0];
    if (f) void classifyBlob(f, f.name);
  });
  document.addEventListener('paste', (e) => {
    const item = [...(e.clipboardData?.items ?? [])].find((it) => it.type.startsWith('image/'));
    const f = item?.getAsFile();
    if (f) {
      e.preventDefault();
      void classifyBlob(f, 'the pasted image');
    }
  });

  ui.webcamButton.addEventListener('click', async () => {
    if (webcamStream) {
      stopWebcam(ui.webcam, webcamStream);
      webcamStream = undefined;
      ui.webcamButton.textContent = 'Use the webcam';
      ui.webcamCapture.hidden = ui.webcamLiveLabel.hidden = true;
      ui.webcamLive.checked = false;
      return;
    }
    try {
      webcamStream = await startWebcam(ui.webcam);
      ui.webcamButton.textContent = 'Stop the webcam';
      ui.webcamCapture.hidden = ui.webcamLiveLabel.hidden = false;
      selectSampleButton(-1);
      void classify(ui.webcam);
    } catch (e) {
      showNotice('webcam', 'error', `The webcam could not be opened: ${describeError(e)}`);
    }
  });
  ui.webcamCapture.addEventListener('click', () => void classify(ui.webcam));
  ui.webcamLive.addEventListener('change', () => {
    const loop = async () => {
      while (ui.webcamLive.checked && webcamStream) {
        await classify(ui.webcam);
        await new Promise((r) => requestAnimationFrame(r));
      }
    };
    void loop();
  });

  setupDrawPad(ui.drawPad, ui.drawClear, () => void classify(ui.drawPad));
}

// ------------------------------------------------------------------------------------------------ accuracy run

let cifarCache: CifarSlice | undefined;

async function runAccuracy(): Promise<void> {
  if (accuracyRunning) {
    accuracyStop = true;
    return;
  }
  const m = loaded;
  if (!m) return;
  const n = Number(ui.accCount.value);
  accuracyRunning = true;
  accuracyStop = false;
  ui.accRun.textContent = 'Stop';
  ui.accResult.dataset['done'] = 'false';
  ui.accBar.hidden = false;
  clearNotice('accuracy');
  try {
    if (m.measured) {
      ui.accResult.textContent = 'Waiting for the latency measurement to finish…';
      await m.measured;
    }
    if (!cifarCache || cifarCache.count < n) {
      ui.accResult.textContent = 'Downloading the CIFAR-10 test set…';
      cifarCache = await fetchCifarTest(n, (p) => {
        ui.accBar.max = p.total ?? 1;
        ui.accBar.value = p.loaded;
      });
    }
    const data = cifarCache;
    const total = Math.min(n, data.count);
    const meta = preprocessingMetadata(m.session.metadata);
    const input = m.session.inputs[0]!;
    const geom = inputGeometry(input.shape, meta);
    const norm = normalizationFor(meta, geom.channels);
    const src = { channels: 3, height: 32, width: 32 };
    let correct = 0;
    let done = 0;
    const t0 = performance.now();
    ui.accBar.max = total;
    while (done < total && !accuracyStop && m === loaded) {
      const count = Math.min(ACCURACY_BATCH, total - done);
      const batch = batchToTensor(data.images.subarray(done * 3072, (done + count) * 3072), count, src, geom, norm);
      const out = Object.values(await m.session.run({ [input.name]: batch }, { transfer: true }))[0]!;
      const classes = out.data.length / count;
      const logits = out.data as Float32Array;
      for (let i = 0; i < count; i++) if (argmax(logits.subarray(i * classes, (i + 1) * classes)) === data.labels[done + i]) correct++;
      done += count;
      ui.accBar.value = done;
      renderAccuracy(m, correct, done, total, performance.now() - t0);
    }
    ui.accResult.dataset['done'] = String(done === total);
  } catch (e) {
    showNotice('accuracy', 'error', `The accuracy run failed: ${describeError(e)}`);
    ui.accResult.textContent = '';
  } finally {
    accuracyRunning = false;
    ui.accRun.textContent = 'Run';
    ui.accBar.hidden = true;
  }
}

function renderAccuracy(m: Loaded, correct: number, done: number, total: number, ms: number): void {
  const pct = (100 * correct) / done;
  const published = m.entry?.publishedAccuracy;
  ui.accResult.replaceChildren(
    'Top-1: ',
    el('strong', { text: `${formatCount(correct)} / ${formatCount(done)} = ${pct.toFixed(2)} %` }),
    done < total ? ` (running, ${formatCount(total - done)} to go)` : '',
    published !== undefined ? ` · published: ${published.toFixed(2)} % (all 10,000 images)` : '',
    ` · ${(done / (ms / 1000)).toFixed(0)} images/s`,
  );
  ui.accResult.dataset['correct'] = String(correct);
  ui.accResult.dataset['total'] = String(done);
}

// ------------------------------------------------------------------------------------------------ start

async function main(): Promise<void> {
  setupImageInputs();
  ui.accRun.addEventListener('click', () => void runAccuracy());
  ui.modelFile.addEventListener('change', () => {
    const f = ui.modelFile.files?.[0];
    if (f) void loadFile(f);
    ui.modelFile.value = '';
  });
  if (!('gpu' in navigator)) {
    showNotice('backend', 'warn', 'This browser has no WebGPU (navigator.gpu is missing): models run on the WebAssembly backend (the CPU backend without WebAssembly SIMD), slower. Recent Chrome, Edge or Safari have WebGPU.');
  }
  const samplesReady = loadSamples();
  try {
    manifest = await loadManifest();
  } catch (e) {
    setState('error');
    showNotice('model', 'error', `The list of models could not be loaded: ${describeError(e)}`, { label: 'Retry', run: () => location.reload() });
    return;
  }
  ui.modelSelect.replaceChildren(
    ...manifest.map((m) => el('option', { value: m.id, text: `${m.title} · ${formatBytes(m.bytes)}` })),
    el('option', { value: SEGMENTATION_ID, text: `${SEGMENTATION_TITLE} · built in the page` }),
  );
  ui.modelSelect.addEventListener('change', () => {
    if (ui.modelSelect.value === SEGMENTATION_ID) return void loadSegmentation();
    const entry = manifest.find((m) => m.id === ui.modelSelect.value);
    if (entry) void loadEntry(entry);
  });
  await samplesReady;
  const wanted = params.get('model');
  if (wanted === 'none') {
    ui.modelStatus.textContent = 'No model loaded: pick one above.';
    setState('ready');
    return;
  }
  if (wanted === SEGMENTATION_ID) {
    ui.modelSelect.value = SEGMENTATION_ID;
    await loadSegmentation();
    return;
  }
  const entry = manifest.find((m) => m.id === wanted) ?? (wanted ? undefined : manifest[0]);
  if (entry) {
    ui.modelSelect.value = entry.id;
    await loadEntry(entry);
  } else if (wanted) {
    await loadUrl(wanted);
  }
}

void main();
