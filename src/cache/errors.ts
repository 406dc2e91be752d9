/** Errors of the model download and cache layer. */

/** The model could not be downloaded: network failure, HTTP error, or the connection broke mid-body. */
export class DownloadError extends Error {
  override name = 'DownloadError';
  constructor(
    message: string,
    readonly url: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(`download of ${url} failed: ${message}`, options);
  }
}

/** Downloaded bytes do not have the SHA-256 the caller expected (a stale or tampered file). */
export class IntegrityError extends Error {
  override name = 'IntegrityError';
  constructor(
    readonly url: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${url}: SHA-256 is ${actual}, expected ${expected}`);
  }
}
