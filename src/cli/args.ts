/**
 * Minimal command-line parser: `--flag value`, `--flag=value`, boolean `--flag`, short aliases (`-o`), positionals.
 * Every mistake is a UsageError naming the flag and the command.
 */
import { UsageError } from './errors.js';

export interface FlagSpec {
  /** Takes a value (default) or is a boolean switch. */
  type: 'string' | 'boolean';
  alias?: string;
  /** Shown in --help: value placeholder and description. */
  value?: string;
  help: string;
}

export interface CommandSpec {
  name: string;
  /** One line for `tessera --help`. */
  brief: string;
  summary: string;
  usage: string;
  flags: Record<string, FlagSpec>;
  /** Extra text under the flag list (examples). */
  epilog?: string;
}

export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string | true>;
}

export function parseArgs(argv: readonly string[], spec: CommandSpec): ParsedArgs {
  const flags = new Map<string, string | true>();
  const positionals: string[] = [];
  const byAlias = new Map<string, string>();
  for (const [name, f] of Object.entries(spec.flags)) if (f.alias) byAlias.set(f.alias, name);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h' || arg === '--help') {
      flags.set('help', true);
      continue;
    }
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const rawName = eq >= 0 ? arg.slice(0, eq) : arg;
    const name = rawName.startsWith('--') ? rawName.slice(2) : byAlias.get(rawName.slice(1));
    const f = name !== undefined ? spec.flags[name] : undefined;
    if (name === undefined || f === undefined) throw new UsageError(`${spec.name}: unknown option '${rawName}' (see 'tessera ${spec.name} --help')`);
    if (f.type === 'boolean') {
      if (eq >= 0) throw new UsageError(`${spec.name}: option '--${name}' takes no value`);
      flags.set(name, true);
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || (value.startsWith('--') && value.length > 2)) throw new UsageError(`${spec.name}: option '--${name}' needs a value (${f.value ?? 'value'})`);
      i++;
    }
    if (flags.has(name)) throw new UsageError(`${spec.name}: option '--${name}' given twice`);
    flags.set(name, value);
  }
  return { positionals, flags };
}

export function helpText(spec: CommandSpec): string {
  const rows = Object.entries(spec.flags).map(([name, f]) => {
    const left = `${f.alias ? `-${f.alias}, ` : '    '}--${name}${f.type === 'string' ? ` ${f.value ?? 'VALUE'}` : ''}`;
    return [left, f.help] as const;
  });
  rows.push(['-h, --help', 'show this help']);
  const width = Math.max(...rows.map((r) => r[0].length)) + 2;
  const lines = [`Usage: ${spec.usage}`, '', spec.summary, '', 'Options:', ...rows.map(([l, h]) => `  ${l.padEnd(width)}${h}`)];
  if (spec.epilog) lines.push('', spec.epilog);
  return lines.join('\n');
}

// ---- typed value readers -----------------------------------------------------------------------------------

export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function boolFlag(args: ParsedArgs, name: string): boolean {
  return args.flags.get(name) === true;
}

export function intFlag(args: ParsedArgs, cmd: string, name: string, opts: { min?: number; dflt?: number } = {}): number | undefined {
  const v = stringFlag(args, name);
  if (v === undefined) return opts.dflt;
  const n = Number(v);
  if (!/^\s*-?\d+\s*$/.test(v) || !Number.isSafeInteger(n)) throw new UsageError(`${cmd}: --${name} must be an integer, got '${v}'`);
  if (opts.min !== undefined && n < opts.min) throw new UsageError(`${cmd}: --${name} must be at least ${opts.min}, got ${n}`);
  return n;
}

/** A number, also accepting a fraction like `1/255`. */
export function parseNumber(text: string, what: string): number {
  const t = text.trim();
  const frac = /^([^/]+)\/([^/]+)$/.exec(t);
  const n = frac ? Number(frac[1]) / Number(frac[2]) : t === '' ? NaN : Number(t);
  if (!Number.isFinite(n)) throw new UsageError(`${what}: '${text}' is not a number`);
  return n;
}

/** Comma-separated numbers (`0.485,0.456,0.406`), optionally with an exact count. */
export function numberList(text: string, what: string, count?: number): number[] {
  const parts = text.split(',').map((s) => parseNumber(s, what));
  if (count !== undefined && parts.length !== count) throw new UsageError(`${what}: expected ${count} comma-separated numbers, got ${parts.length} ('${text}')`);
  return parts;
}

export function requireOnePositional(args: ParsedArgs, cmd: string, what: string): string {
  if (args.positionals.length === 0) throw new UsageError(`${cmd}: missing ${what} (see 'tessera ${cmd} --help')`);
  if (args.positionals.length > 1) throw new UsageError(`${cmd}: unexpected argument '${args.positionals[1]}' (only one ${what} allowed)`);
  return args.positionals[0]!;
}
