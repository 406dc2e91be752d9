/**
 * `tessera` command line: convert, inspect, run, classify, eval.
 * Exit codes: 0 success, 2 user error (typed error: one line, no stack), 1 internal error (stack printed).
 * Run from a checkout with `npx tsx src/cli/main.ts ...`, or after `npm run build` via `bin/tessera.mjs`.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { classifyCommand, classifySpec } from './classify-images.js';
import { convertCommand, convertSpec } from './convert.js';
import { describeError, isTypedError, UsageError } from './errors.js';
import { evalCommand, evalSpec } from './eval.js';
import { inspectCommand, inspectSpec } from './inspect.js';
import { processIo, type CliIo } from './io.js';
import { runCommand, runSpec } from './run.js';

type Command = (argv: string[], io: CliIo) => Promise<number>;

const COMMANDS: Record<string, { run: Command; summary: string }> = {
  convert: { run: convertCommand, summary: convertSpec.brief },
  inspect: { run: inspectCommand, summary: inspectSpec.brief },
  run: { run: runCommand, summary: runSpec.brief },
  classify: { run: classifyCommand, summary: classifySpec.brief },
  eval: { run: evalCommand, summary: evalSpec.brief },
};

function mainHelp(): string {
  const lines = ['Usage: tessera COMMAND [options]', '', 'Commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(9)}${c.summary}`);
  lines.push('', "Run 'tessera COMMAND --help' for the options of a command.");
  return lines.join('\n');
}

/** Run the CLI; returns the process exit code. Never throws. */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
      io.out(mainHelp());
      return cmd === undefined ? 2 : 0;
    }
    const command = COMMANDS[cmd];
    if (!command) throw new UsageError(`unknown command '${cmd}' (commands: ${Object.keys(COMMANDS).join(', ')}; see 'tessera --help')`);
    return await command.run(rest, io);
  } catch (err) {
    if (isTypedError(err)) {
      // Messages usually start with where the problem is (`run --image 'x.png': ...`); avoid saying `run` twice.
      const msg = describeError(err);
      const known = cmd !== undefined && COMMANDS[cmd] !== undefined;
      io.err(known && !msg.startsWith(`${cmd} `) && !msg.startsWith(`${cmd}:`) ? `tessera ${cmd}: ${msg}` : `tessera ${msg}`);
      if (process.env['TESSERA_DEBUG']) io.err(err.stack ?? '');
      return 2;
    }
    io.err(`tessera: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  }
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  process.exitCode = await runCli(process.argv.slice(2));
}
