/** Typed CLI errors. Anything typed (a named Error subclass) is a user-facing problem: one line, exit code 2. */

/** A problem with what the user asked for: a missing file, a bad flag value, an input of the wrong shape. */
export class CliError extends Error {
  override name = 'CliError';
}

/** Bad command line syntax: unknown command or flag, missing value. The message ends with a `--help` hint. */
export class UsageError extends CliError {
  override name = 'UsageError';
}

/** The requested backend cannot run here (yet). */
export class BackendUnavailableError extends CliError {
  override name = 'BackendUnavailableError';
}

const BUILTIN_ERRORS = new Set(['Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError', 'AggregateError']);

/** True for errors our modules raise on purpose (NpyError, FormatError, OnnxImportError, GraphError, CliError...). */
export function isTypedError(err: unknown): err is Error {
  return err instanceof Error && !BUILTIN_ERRORS.has(err.name);
}

/** One-line message for a typed error; CLI errors speak for themselves, others say which module complained. */
export function describeError(err: Error): string {
  const msg = err.message.replace(/\s*\n\s*/g, ' ');
  return err instanceof CliError ? msg : `${err.name}: ${msg}`;
}
