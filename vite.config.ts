import { defineConfig } from 'vite';

// The demo page lives in demo/; `npm start` serves it. Library code is imported from src/ directly.
export default defineConfig({
  root: 'demo',
  publicDir: false,
  server: { host: '127.0.0.1', port: 5173, fs: { allow: ['..'] } },
  build: { outDir: '../dist-demo', emptyOutDir: true },
});
