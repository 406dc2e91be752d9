/** File access for the CLI: every failure becomes a CliError naming the file and the flag it came from. */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CliError } from './errors.js';

/** Read a whole file; `what` says where the path came from (`--image`, `model file`...). */
export function readInputFile(path: string, what: string): Uint8Array {
  if (!existsSync(path)) throw new CliError(`${what} '${path}': file not found`);
  if (statSync(path).isDirectory()) throw new CliError(`${what} '${path}': is a directory, expected a file`);
  try {
    return new Uint8Array(readFileSync(path));
  } catch (err) {
    throw new CliError(`${what} '${path}': cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

export function readTextFile(path: string, what: string): string {
  return new TextDecoder().decode(readInputFile(path, what));
}

export function requireDirectory(path: string, what: string): void {
  if (!existsSync(path)) throw new CliError(`${what} '${path}': directory not found`);
  if (!statSync(path).isDirectory()) throw new CliError(`${what} '${path}': is a file, expected a directory`);
}

export function writeOutputFile(path: string, bytes: Uint8Array, what: string): void {
  const dir = dirname(path);
  if (!existsSync(dir)) throw new CliError(`${what} '${path}': directory '${dir}' does not exist`);
  try {
    writeFileSync(path, bytes);
  } catch (err) {
    throw new CliError(`${what} '${path}': cannot write (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}
