/**
 * Classifies one photo with ResNet-20 twice: with `Session` on the page and with `WorkerSession` in a Web Worker.
 * Each result goes into an <output> as text and as data attributes (label, score, backend) for tests.
 */
import { Session, type Tensor } from 'tessera';
import { WorkerSession } from 'tessera/worker';
import { imageToInput, preprocessImage } from 'tessera/image';
// The model committed at the repository root; Vite copies it into the build (dist/assets/) and gives its URL.
// In your own app: put the model in public/ and use '/my-model.tessera', or import it like this.
import modelPath from '../../../models/resnet20-cifar10.tessera?url';

const modelUrl = new URL(modelPath, location.href).href; // absolute: the worker fetches it too

interface Top1 {
  label: string;
  score: number;
}

/** Top-1 class and its softmax probability. */
function top1(logits: Float32Array, labels: string[] | undefined): Top1 {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - logits[best]!);
  return { label: labels?.[best] ?? `class ${best}`, score: 1 / sum };
}

function show(id: string, work: () => Promise<Top1 & { backend: string; detail: string }>): Promise<void> {
  const out = document.getElementById(id) as HTMLOutputElement;
  const t0 = performance.now();
  return work().then(
    (r) => {
      Object.assign(out.dataset, { state: 'done', label: r.label, score: r.score.toFixed(4), backend: r.backend });
      out.textContent = `${r.label} (${(r.score * 100).toFixed(1)}%) on ${r.backend}, ${r.detail}, ${(performance.now() - t0).toFixed(0)} ms`;
    },
    (e: Error) => {
      Object.assign(out.dataset, { state: 'error', error: `${e.name}: ${e.message}` });
      out.textContent = `${e.name}: ${e.message}`;
      console.error(e);
    },
  );
}

const photo = document.getElementById('photo') as HTMLImageElement;
await photo.decode();

// 1. On the page: Session; the photo is preprocessed on the GPU when it can be (preprocessImage).
const onPage = show('page', async () => {
  const session = await Session.create(modelUrl);
  try {
    const input = session.inputs[0]!;
    const pre = await preprocessImage(photo, { inputShape: input.shape, metadata: session.metadata });
    const outputs: Record<string, Tensor> = await session.run({ [input.name]: pre.tensor });
    const logits = outputs[session.outputs[0]!.name]!.data as Float32Array;
    return { ...top1(logits, session.metadata.labels), backend: session.backend, detail: `image preprocessed on the ${pre.backend}` };
  } finally {
    session.release();
  }
});

// 2. In a worker: the package's ready-made worker script (it only calls serveSessions(self)). Vite (like webpack 5)
//    resolves the package path and bundles the worker because the `new URL(...)` is written inside `new Worker(...)`.
//    The alternative is a worker file of your own: `import { serveSessions } from 'tessera/worker'; serveSessions(self as any);`
const inWorker = show('worker', async () => {
  const worker = new Worker(new URL('tessera/worker-script', import.meta.url), { type: 'module' });
  try {
    const session = await WorkerSession.create(worker, modelUrl); // the worker fetches the model itself
    const input = session.inputs[0]!;
    // Preprocess on the page (DOM images need the page's canvas), send the Float32 tensor.
    const x = imageToInput(photo, { inputShape: input.shape, metadata: session.metadata });
    const outputs = await session.run({ [input.name]: x }, { transfer: true });
    const logits = outputs[session.outputs[0]!.name]!.data as Float32Array;
    const result = { ...top1(logits, session.metadata.labels), backend: session.backend, detail: 'image preprocessed on the page' };
    await session.release();
    return result;
  } finally {
    worker.terminate();
  }
});

await Promise.all([onPage, inWorker]);
document.body.dataset['state'] = 'done';
