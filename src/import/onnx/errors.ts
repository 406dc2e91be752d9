/** Typed errors of the ONNX importer. Every message says what went wrong and where (node, tensor, field). */

/** The bytes are not a valid ONNX model, or the model uses something the importer cannot represent. */
export class OnnxImportError extends Error {
  override name = 'OnnxImportError';
  constructor(
    message: string,
    /** Node, tensor or protobuf field the problem is about, when there is one. */
    readonly where?: string,
  ) {
    super(where !== undefined ? `${where}: ${message}` : message);
  }
}

export interface UnsupportedOp {
  op: string;
  /** Domain of the op ('' = default ONNX domain). */
  domain: string;
  nodes: string[];
}

/** The model uses ops Tessera has no kernel for. Lists all of them at once, so one import run shows the full gap. */
export class UnsupportedOpsError extends OnnxImportError {
  override name = 'UnsupportedOpsError';
  constructor(
    readonly ops: UnsupportedOp[],
    readonly opset: number,
  ) {
    const parts = ops.map((o) => `${o.domain && o.domain !== 'ai.onnx' ? `${o.domain}.` : ''}${o.op} (nodes: ${o.nodes.join(', ')})`);
    super(`Unsupported ONNX ops (opset ${opset}): ${parts.join('; ')}`);
  }
}
