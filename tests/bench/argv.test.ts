import { describe, expect, it } from 'vitest';
import { argFlags, positiveInt } from '../../bench/argv.js';

const error = (m: string) => new RangeError(m);

/** Every flag with the value it consumes (value() for flags starting with --v, nothing for the others). */
function walk(argv: string[], inline = false): [string, string | undefined][] {
  const seen: [string, string | undefined][] = [];
  for (const f of argFlags(argv, error, inline)) seen.push([f.flag, f.flag.startsWith('--v') ? f.value() : undefined]);
  return seen;
}

describe('argFlags', () => {
  it('a value consumes the next argument; flags without one do not', () => {
    expect(walk(['--v1', 'a', '--x', '--v2', 'b'])).toEqual([['--v1', 'a'], ['--x', undefined], ['--v2', 'b']]);
    expect(walk(['--v1'])).toEqual([['--v1', undefined]]);
  });

  it('--flag=value only when inline values are on', () => {
    expect(walk(['--v=3', '--x'], true)).toEqual([['--v', '3'], ['--x', undefined]]);
    expect(walk(['--v=', '--x'], true)).toEqual([['--v', ''], ['--x', undefined]]);
    expect(walk(['--v=3', '--x'])).toEqual([['--v=3', '--x']]);
  });

  it('required() throws the parser\'s error naming the flag', () => {
    const [f] = [...argFlags(['--out'], error)];
    expect(() => f!.required()).toThrow(RangeError);
    expect(() => f!.required()).toThrow('--out needs a value');
  });
});

describe('positiveInt', () => {
  it('accepts positive integers, names the flag and the bad value otherwise', () => {
    expect(positiveInt('--reps', '3', error)).toBe(3);
    for (const v of ['0', '-1', '1.5', 'x', '']) expect(() => positiveInt('--reps', v, error)).toThrow(`--reps needs a positive integer, got '${v}'`);
    expect(() => positiveInt('--reps', undefined, error)).toThrow(RangeError);
  });
});
