import { describe, expect, it } from 'vitest';
import { runNodeChild, stderrTail } from '../../bench/node_host.js';
import { adapterLabel, copySharedView } from '../../bench/node_gpu.js';

describe('Node host helpers', () => {
  it('keeps the last stderr lines, without Dawn noise, minified lines cut', () => {
    const text = ['error: XDG_RUNTIME_DIR is invalid or not set in the environment.', 'a', '', 'b', 'x'.repeat(1000), 'terminate called after throwing an instance of std::system_error', ''].join('\n');
    const tail = stderrTail(text, 3).split('\n');
    expect(tail).toHaveLength(3);
    expect(tail[0]).toBe('b');
    expect(tail[1]!.length).toBe(301);
    expect(tail[2]).toMatch(/std::system_error/);
    expect(stderrTail('error: XDG_RUNTIME_DIR is invalid or not set in the environment.\n')).toBe('');
  });

  it('copies views of shared memory (same type, offset, bytes) and passes others through', () => {
    const shared = new SharedArrayBuffer(32);
    const whole = new Float32Array(shared);
    whole.set([1, 2, 3, 4, 5, 6, 7, 8]);
    const view = new Float32Array(shared, 8, 4);
    const copy = copySharedView(view) as Float32Array;
    expect(copy).toBeInstanceOf(Float32Array);
    expect(copy.buffer).toBeInstanceOf(ArrayBuffer);
    expect(Array.from(copy)).toEqual([3, 4, 5, 6]);
    whole[2] = 99; // a copy, not an alias
    expect(copy[0]).toBe(3);
    const plain = new Uint8Array(4);
    expect(copySharedView(plain)).toBe(plain);
    expect(copySharedView('x')).toBe('x');
  });

  it('labels adapters', () => {
    expect(adapterLabel({ vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H200' })).toBe('nvidia hopper NVIDIA H200');
    expect(adapterLabel(null)).toBe('no adapter');
  });
});

describe('Node host job processes', () => {
  it('a job process that dies gives an error with its stderr tail, not a throw', async () => {
    const env = { ...process.env, NODE_OPTIONS: '--import data:text/javascript,process.stderr.write("std::system_error%20futex%5Cn");process.abort()' };
    const out = await runNodeChild({ kind: 'probe' }, { env, timeoutSeconds: 30 });
    expect(out.result).toBeUndefined();
    expect(out.error).toMatch(/killed by SIGABRT|exited with code/);
    expect(out.error).toMatch(/std::system_error futex/);
  }, 40_000);

  it('a hanging job process is killed at the timeout', async () => {
    const env = { ...process.env, NODE_OPTIONS: '--import data:text/javascript,setInterval(()=>{},1000);await%20new%20Promise(()=>{})' };
    const out = await runNodeChild({ kind: 'probe' }, { env, timeoutSeconds: 2 });
    expect(out.result).toBeUndefined();
    expect(out.error).toMatch(/timed out after 2 s/);
    expect(out.wallMs).toBeLessThan(15_000);
  }, 20_000);
});
