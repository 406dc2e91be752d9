/**
 * src/image in Chromium: every kind of browser image source gives the model the same tensor as the CLI does for the
 * same PNG (bit-exact at the model's size), and large sources are resized/cropped close to the CLI's result.
 * Library modules are imported into the demo page through the Vite dev server (/@fs/...).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodePng } from '../src/io/png.js';
import { imageToTensor, inputGeometry, normalizationFor } from '../src/io/preprocess.js';
import type { GraphMetadata } from '../src/graph/ir.js';
import { perFile } from '../tests/harness/per_file.js';
import { REPO, startDemo } from './demo_server.js';

const META: GraphMetadata = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], inputSize: [3, 32, 32], pixelScale: 1 / 255, colorOrder: 'RGB' };
const SHAPE = [-1, 3, 32, 32];

const env = perFile(startDemo);

describe('imageToInput in the browser', () => {
  it('gives the CLI tensor for <img>, ImageBitmap, canvases, VideoFrame, ImageData and <video>', async () => {
    const png = decodePng(new Uint8Array(readFileSync(`${REPO}demo/public/samples/cifar10-test-0000.png`)));
    const geom = inputGeometry(SHAPE, META);
    const cli = Array.from(imageToTensor(png, geom, normalizationFor(META, 3)).data as Float32Array);

    const page = await env().browser.newPage();
    await page.goto(`${env().baseUrl}/?model=none`);
    const got = await page.evaluate(
      async ({ modUrl, meta, shape }) => {
        // A Function body: vitest would rewrite a literal import() in this file for Node.
        const { imageToInput } = await (new Function('u', 'return import(u)') as (u: string) => Promise<any>)(modUrl); // eslint-disable-line @typescript-eslint/no-explicit-any
        const spec = { inputShape: shape, metadata: meta };
        const run = (src: unknown) => Array.from(imageToInput(src, spec).data as Float32Array);
        const url = '/samples/cifar10-test-0000.png';
        const img = new Image();
        img.src = url;
        await img.decode();
        const bitmap = await createImageBitmap(await (await fetch(url)).blob(), { colorSpaceConversion: 'none' });
        const canvas = document.createElement('canvas');
        canvas.width = canvas.height = 32;
        canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
        const offscreen = new OffscreenCanvas(32, 32);
        offscreen.getContext('2d')!.drawImage(bitmap, 0, 0);
        const imageData = canvas.getContext('2d')!.getImageData(0, 0, 32, 32);
        const frame = new VideoFrame(bitmap, { timestamp: 0 });
        const out: Record<string, number[]> = {
          img: run(img),
          bitmap: run(bitmap),
          canvas: run(canvas),
          offscreen: run(offscreen),
          imageData: run(imageData),
          videoFrame: run(frame),
        };
        frame.close();
        // A <video> playing the canvas: video frames go through a video pipeline, so only approximately equal.
        const video = document.createElement('video');
        video.muted = true;
        video.srcObject = canvas.captureStream(10);
        await video.play();
        const paint = setInterval(() => canvas.getContext('2d')!.drawImage(bitmap, 0, 0), 50);
        await new Promise<void>((r) => (video.readyState >= 2 ? r() : video.addEventListener('loadeddata', () => r(), { once: true })));
        out['video'] = run(video);
        clearInterval(paint);
        // Not a loaded image: a typed error.
        let error = '';
        try {
          imageToInput(new Image(), spec);
        } catch (e) {
          error = `${(e as Error).name}: ${(e as Error).message}`;
        }
        return { out, error };
      },
      { modUrl: `/@fs${REPO}src/image/index.ts`, meta: META, shape: SHAPE },
    );
    for (const name of ['img', 'bitmap', 'canvas', 'offscreen', 'imageData', 'videoFrame']) {
      expect({ name, equal: got.out[name]!.every((v, i) => v === cli[i]) }).toEqual({ name, equal: true });
    }
    const meanAbs = got.out['video']!.reduce((s, v, i) => s + Math.abs(v - cli[i]!), 0) / cli.length;
    expect(meanAbs).toBeLessThan(0.1); // ~6 grey levels: colour conversion of the video path
    expect(got.error).toMatch(/^ImageInputError: the <img> (has not finished loading|has no pixels)/);
    await page.close();
  });

  it('resizes and center-crops a large canvas close to the CLI result', async () => {
    const page = await env().browser.newPage();
    await page.goto(`${env().baseUrl}/?model=none`);
    const r = await page.evaluate(
      async ({ modUrl, meta, shape }) => {
        // A Function body: vitest would rewrite a literal import() in this file for Node.
        const { imageToInput } = await (new Function('u', 'return import(u)') as (u: string) => Promise<any>)(modUrl); // eslint-disable-line @typescript-eslint/no-explicit-any
        // A 640x480 smooth scene with a centred disc: the crop must keep the centre square.
        const c = document.createElement('canvas');
        c.width = 640;
        c.height = 480;
        const ctx = c.getContext('2d')!;
        const g = ctx.createLinearGradient(0, 0, 640, 480);
        g.addColorStop(0, '#203080');
        g.addColorStop(1, '#f0c040');
        ctx.fillStyle = g;
        ctx.fillRect(0, 0, 640, 480);
        ctx.fillStyle = '#e02020';
        ctx.beginPath();
        ctx.arc(320, 240, 120, 0, Math.PI * 2);
        ctx.fill();
        const pixels = ctx.getImageData(0, 0, 640, 480);
        const spec = { inputShape: shape, metadata: meta };
        return {
          viaCanvas: Array.from(imageToInput(c, spec).data as Float32Array),
          viaImageData: Array.from(imageToInput(pixels, spec).data as Float32Array), // the CLI's code path, full size
        };
      },
      { modUrl: `/@fs${REPO}src/image/index.ts`, meta: META, shape: SHAPE },
    );
    const n = r.viaImageData.length;
    const meanAbs = r.viaCanvas.reduce((s, v, i) => s + Math.abs(v - r.viaImageData[i]!), 0) / n;
    expect(meanAbs).toBeLessThan(0.03);
    // The disc (red) fills the centre of the crop: the centre pixel's red channel is high, blue low.
    const centre = 16 * 32 + 16;
    expect(r.viaCanvas[centre]!).toBeGreaterThan(1.5);
    expect(r.viaCanvas[2 * 1024 + centre]!).toBeLessThan(-1);
    await page.close();
  });
});
