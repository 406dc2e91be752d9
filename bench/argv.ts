/** The flag walk shared by the command lines of bench/args.ts, bench/network.ts and tools/gpu_report_args.ts. */

/** One flag of a command line, with accessors that consume its value. */
export interface ArgFlag {
  /** The flag ('--reps'; with inline values, '--reps=3' gives '--reps' here and '3' as its value). */
  flag: string;
  /** The argument as given. */
  arg: string;
  /** The flag's value: the inline one, else the next argument (consumed); undefined when there is none. */
  value(): string | undefined;
  /** value(), or an error `${flag} needs a value` when there is none. */
  required(): string;
}

/**
 * Walks `argv` flag by flag; a flag's value() / required() consume its value, so the walk resumes after it (call
 * them inside the loop, before the next flag is taken).
 * `error` makes the parser's own error type; `inlineValues` also accepts `--flag=value`.
 */
export function* argFlags(argv: readonly string[], error: (message: string) => Error, inlineValues = false): Generator<ArgFlag> {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = inlineValues && arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    const value = () => inline ?? argv[++i];
    const required = () => {
      const v = value();
      if (v === undefined) throw error(`${flag} needs a value`);
      return v;
    };
    yield { flag, arg, value, required };
  }
}

/** `v` as a positive integer, or an error `${flag} needs a positive integer, got '…'`. */
export function positiveInt(flag: string, v: string | undefined, error: (message: string) => Error): number {
  const n = Number(v);
  if (v === undefined || !Number.isInteger(n) || n <= 0) throw error(`${flag} needs a positive integer, got '${v ?? ''}'`);
  return n;
}
