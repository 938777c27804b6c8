/**
 * Selects the TF.js backend the whole suite runs on: `wasm` by default (XNNPACK, with tfjs-prune's
 * training kernels from src/wasm, so `fit` and `tf.grads` work), or the pure-JS `cpu` backend with
 * `TFJS_PRUNE_BACKEND=cpu npm test` (or `npm run test:cpu` for the backend-sensitive tests).
 * Tests that need both backends (wasm vs cpu comparisons) switch with `tf.setBackend` and
 * restore `tf.getBackend()` afterwards.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { enableWasmTraining } from '../src/wasm';

const wanted = process.env.TFJS_PRUNE_BACKEND ?? 'wasm';
if (wanted !== 'wasm' && wanted !== 'cpu') {
  throw new Error(`TFJS_PRUNE_BACKEND=${wanted}: expected 'wasm' (the default) or 'cpu'.`);
}

beforeAll(async () => {
  if (wanted === 'wasm') enableWasmTraining();
  const ok = await tf.setBackend(wanted);
  if (!ok) throw new Error(`TFJS_PRUNE_BACKEND=${wanted}: backend could not be initialised`);
  await tf.ready();
});
