/** One sentence for the user per failure kind, with the technical message after it. */

const MODEL_FILE_ERRORS = new Set(['FormatError', 'OnnxImportError', 'UnsupportedOpsError', 'GraphError', 'ExecutionError']);

export function describeModelError(e: unknown, what: string): string {
  const err = e as { name?: string; message?: string };
  const name = err?.name ?? 'Error';
  const msg = err?.message ?? String(e);
  if (name === 'DownloadError') return `Could not download ${what}: ${msg}. Check the connection and try again.`;
  if (name === 'IntegrityError') return `The downloaded ${what} is not the published file (SHA-256 mismatch): ${msg}.`;
  if (MODEL_FILE_ERRORS.has(name)) return `${what} is not a valid model file (${name}): ${msg}`;
  if (name === 'WebGPUUnavailableError' || name === 'WebGPUDeviceError') return `WebGPU failed while loading ${what} (${name}): ${msg}`;
  if (name === 'WorkerError') return `The inference worker could not start: ${msg}`;
  return `Could not load ${what} (${name}): ${msg}`;
}

export function describeError(e: unknown): string {
  const err = e as { name?: string; message?: string };
  return `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`;
}
