/**
 * Corruption robustness: every single-byte flip of the header region, 1,000 random payload flips and 200 random
 * truncations must each end in a FormatError (never another exception type, never a silently wrong graph).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/import/onnx/index.js';
import type { Graph } from '../../src/graph/ir.js';
import { FormatError, readTessera, readTesseraHeader, writeTessera } from '../../src/format/index.js';
import { expectSameGraph, seededRandom, syntheticCnn } from './helpers.js';

interface Tally {
  cases: number;
  formatErrors: number;
  /** First few cases that did not end in a FormatError, for the failure message. */
  misses: string[];
}

function tryRead(bytes: Uint8Array, label: string, tally: Tally): void {
  tally.cases++;
  try {
    readTessera(bytes);
    if (tally.misses.length < 5) tally.misses.push(`${label}: read succeeded`);
  } catch (e) {
    if (e instanceof FormatError && e.name === 'FormatError' && e.message.length > 0) tally.formatErrors++;
    else if (tally.misses.length < 5) tally.misses.push(`${label}: threw ${(e as Error)?.name}: ${(e as Error)?.message}`);
  }
}

function expectAllFormatErrors(tally: Tally, expectedCases: number): void {
  expect(tally.misses).toEqual([]);
  expect(tally.cases).toBe(expectedCases);
  expect(tally.formatErrors).toBe(expectedCases);
}

/** Runs the three corruption campaigns against one written graph. */
function corruptionSuite(name: string, makeGraph: () => Promise<Graph> | Graph, seed: number): void {
  describe(`corruption of ${name}`, () => {
    let graph: Graph;
    let file: Uint8Array;
    let payloadOffset: number;

    it('writes and reads back intact', async () => {
      graph = await makeGraph();
      file = writeTessera(graph);
      payloadOffset = readTesseraHeader(file).payloadOffset;
      expect(file.length - payloadOffset).toBeGreaterThan(20_000); // a realistic payload, not a toy
      expectSameGraph(readTessera(file), graph);
    });

    it('every single-byte flip of the header region (prelude, JSON, padding) is a FormatError', () => {
      const rand = seededRandom(seed);
      const tally: Tally = { cases: 0, formatErrors: 0, misses: [] };
      const bytes = file.slice();
      for (let i = 0; i < payloadOffset; i++) {
        // Two flips per byte: all bits, and a random non-zero mask (often a single bit inside JSON whitespace/digits).
        for (const mask of [0xff, 1 + Math.floor(rand() * 255)]) {
          bytes[i] ^= mask;
          tryRead(bytes, `header byte ${i} ^ 0x${mask.toString(16)}`, tally);
          bytes[i] ^= mask;
        }
      }
      expectAllFormatErrors(tally, 2 * payloadOffset);
      expectSameGraph(readTessera(bytes), graph); // restored after each flip
    });

    it('1,000 random payload byte flips are all FormatErrors', () => {
      const rand = seededRandom(seed + 1);
      const tally: Tally = { cases: 0, formatErrors: 0, misses: [] };
      const bytes = file.slice();
      const payloadLength = bytes.length - payloadOffset;
      for (let k = 0; k < 1000; k++) {
        const at = payloadOffset + Math.floor(rand() * payloadLength);
        const mask = 1 + Math.floor(rand() * 255);
        bytes[at] ^= mask;
        tryRead(bytes, `payload byte ${at} ^ 0x${mask.toString(16)}`, tally);
        bytes[at] ^= mask;
      }
      expectAllFormatErrors(tally, 1000);
    });

    it('200 random truncations are all FormatErrors', () => {
      const rand = seededRandom(seed + 2);
      const tally: Tally = { cases: 0, formatErrors: 0, misses: [] };
      // The edges first (empty, inside the prelude, at the payload start, one byte short), then random lengths.
      const lengths = [0, 7, 47, 48, payloadOffset - 1, payloadOffset, file.length - 1];
      while (lengths.length < 200) lengths.push(Math.floor(rand() * file.length));
      for (const len of lengths) tryRead(file.subarray(0, len), `truncated to ${len} bytes`, tally);
      expectAllFormatErrors(tally, 200);
    });
  });
}

/** The real model of the acceptance criterion: the ONNX Model Zoo MNIST CNN, through the ONNX importer. */
function importMnist(): Graph {
  const url = new URL('../fixtures/data/pretrained/onnx-mnist-cntk/mnist-8.onnx', import.meta.url);
  return importOnnx(new Uint8Array(readFileSync(url)));
}

corruptionSuite('the real MNIST model (mnist-8.onnx imported)', importMnist, 2000);
corruptionSuite('a synthetic conv+gemm CNN', () => syntheticCnn(21), 1000);
