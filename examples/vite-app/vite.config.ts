import { defineConfig } from 'vite';

export default defineConfig({
  server: {
    host: '127.0.0.1',
    // src/main.ts imports the model committed at the repository root (../../models/); let the dev server read it.
    fs: { allow: ['.', '../../models'] },
  },
  preview: { host: '127.0.0.1' },
  // Dev server only: the worker script ('tessera/worker-script') is served file by file, not pre-bundled, and its
  // one CommonJS dependency (protobufjs, the ONNX reader) needs Vite's pre-bundling to load as an ES module.
  // `vite build` bundles everything and does not need this.
  optimizeDeps: { include: ['tessera > protobufjs/light.js'] },
  build: { target: 'es2022' },
});
