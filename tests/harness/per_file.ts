/** A resource (test browser, demo server) shared by the tests of one file. */
import { afterAll, beforeAll } from 'vitest';

/**
 * Starts `start()` before the calling file's tests and closes it after them.
 * Returns a getter: the resource exists only once beforeAll has run, so call it inside tests, not at file level.
 */
export function perFile<T extends { close(): Promise<void> }>(start: () => Promise<T>): () => T {
  let resource: T | undefined;
  beforeAll(async () => {
    resource = await start();
  });
  afterAll(async () => {
    await resource?.close();
  });
  return () => {
    if (!resource) throw new Error('perFile: the resource is used before beforeAll started it');
    return resource;
  };
}
