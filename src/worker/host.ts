/**
 * Worker side: serves Tessera sessions to the page over postMessage. A worker script needs only
 *
 *   import { serveSessions } from 'tessera/worker';   // or point new Worker() at 'tessera/worker-script'
 *   serveSessions(self);
 */
import { Session, type LoadProgress } from '../runtime/session.js';
import type { Graph, Tensor } from '../graph/ir.js';
import { profileLayers } from './layer_profile.js';
import { modelFacts } from './model_facts.js';
import { tensorBuffers, type CreateResult, type Endpoint, type Progress, type Request, type Response } from './protocol.js';

/**
 * The session's graph with its inputs at the shapes the session knows at create (e.g. the `inputShapes` option or
 * metadata inputSize), so per-image figures are computed at a size the model runs at rather than with free dims as 1.
 */
function atKnownShapes(session: Session): Graph {
  const shapes = session.knownInputShapes;
  if (!shapes) return session.graph;
  return { ...session.graph, inputs: session.graph.inputs.map((i) => (shapes[i.name] ? { ...i, shape: [...shapes[i.name]!] } : i)) };
}

export function serveSessions(scope: Endpoint): () => void {
  const sessions = new Map<number, Session>();
  let nextSession = 1;

  const sessionOf = (id: number): Session => {
    const s = sessions.get(id);
    if (!s) throw Object.assign(new Error(`no session ${id} in this worker (released?)`), { name: 'SessionReleasedError' });
    return s;
  };

  async function handle(req: Request): Promise<{ result: unknown; transfer: Transferable[] }> {
    switch (req.type) {
      case 'create': {
        const t0 = performance.now();
        const src = req.source instanceof ArrayBuffer ? new Uint8Array(req.source) : req.source;
        const { progress, ...options } = req.options;
        const onProgress = progress ? (p: LoadProgress) => scope.postMessage({ id: req.id, progress: p } satisfies Progress) : undefined;
        const session = await Session.create(src, { ...options, onProgress });
        const id = nextSession++;
        sessions.set(id, session);
        const result: CreateResult = {
          session: id,
          backend: session.backend,
          fallbackReason: session.fallbackReason,
          backendInfo: session.backendInfo,
          deviceDescription: session.deviceDescription,
          format: session.format,
          inputs: session.inputs,
          outputs: session.outputs,
          metadata: session.metadata,
          facts: modelFacts(atKnownShapes(session)),
          tuning: session.tuning,
          loadMs: performance.now() - t0,
        };
        return { result, transfer: [] };
      }
      case 'run': {
        const out: Record<string, Tensor> = await sessionOf(req.session).run(req.feeds);
        return { result: out, transfer: tensorBuffers(out) };
      }
      case 'profile':
        return { result: await sessionOf(req.session).profile(req.feeds), transfer: [] };
      case 'layerProfile':
        return { result: await profileLayers(sessionOf(req.session), req.feeds), transfer: [] };
      case 'release':
        sessions.get(req.session)?.release();
        sessions.delete(req.session);
        return { result: null, transfer: [] };
      default:
        throw new Error(`unknown request type '${(req as { type: string }).type}'`);
    }
  }

  const listener = (event: MessageEvent) => {
    const req = event.data as Request;
    if (!req || typeof req !== 'object' || typeof req.id !== 'number') return;
    handle(req).then(
      ({ result, transfer }) => scope.postMessage({ id: req.id, ok: true, result } satisfies Response, transfer),
      (e: unknown) => {
        const err = e instanceof Error ? e : new Error(String(e));
        scope.postMessage({ id: req.id, ok: false, error: { name: err.name, message: err.message, stack: err.stack } } satisfies Response);
      },
    );
  };
  scope.addEventListener('message', listener);
  (scope as { start?: () => void }).start?.(); // a MessagePort only delivers after start()
  return () => scope.removeEventListener?.('message', listener);
}
