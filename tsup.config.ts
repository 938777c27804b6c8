import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', wasm: 'src/wasm/index.ts', node: 'src/node/index.ts' },
  format: ['esm', 'cjs'],
  // File names package.json `exports` points at: ESM .js (+ .d.ts), CommonJS .cjs (+ .d.cts).
  outExtension: ({ format }) => (format === 'cjs' ? { js: '.cjs', dts: '.d.cts' } : { js: '.js', dts: '.d.ts' }),
  dts: true,
  // Shared chunks for CommonJS too, so both entries use one PruneError class.
  splitting: true,
  sourcemap: true,
  clean: true,
  target: 'es2020',
  // Peer dependencies stay external: the host application owns its TF.js instance.
  // Node built-ins (only the `node` entry imports them) stay imports too.
  external: ['@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-node', '@tensorflow/tfjs-backend-wasm', /^node:/],
});
