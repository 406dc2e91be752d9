/**
 * The CIFAR-10 test set for the accuracy run, fetched from the dev server (/data/cifar10/test_batch.bin, see
 * vite.config.ts): records of 3073 bytes = label + 1024 R + 1024 G + 1024 B, i.e. CHW images ready for batchToTensor.
 */
import { fetchWithProgress, type DownloadProgress } from '../../src/cache/index.js';

export const CIFAR_URL = '/data/cifar10/test_batch.bin';
const RECORD = 3073;

export interface CifarSlice {
  count: number;
  /** count x 3 x 32 x 32 bytes, CHW per image. */
  images: Uint8Array;
  labels: Uint8Array;
}

export class DatasetUnavailableError extends Error {
  override name = 'DatasetUnavailableError';
}

export async function fetchCifarTest(count: number, onProgress?: (p: DownloadProgress) => void): Promise<CifarSlice> {
  let bytes: Uint8Array;
  try {
    bytes = await fetchWithProgress(`${CIFAR_URL}?count=${count}`, { onProgress });
  } catch (e) {
    const status = (e as { status?: number }).status;
    if (status === 404) throw new DatasetUnavailableError('the CIFAR-10 test set is not on this server (npm start serves it from ../shared/data/cifar10 or $TESSERA_CIFAR10_DIR)');
    throw e;
  }
  if (bytes.length % RECORD !== 0) throw new DatasetUnavailableError(`${CIFAR_URL} is not a CIFAR-10 batch (${bytes.length} bytes)`);
  const n = Math.min(count, bytes.length / RECORD);
  const images = new Uint8Array(n * 3072);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = bytes[i * RECORD]!;
    images.set(bytes.subarray(i * RECORD + 1, (i + 1) * RECORD), i * 3072);
  }
  return { count: n, images, labels };
}
