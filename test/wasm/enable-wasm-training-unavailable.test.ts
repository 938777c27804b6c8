/**
 * enableWasmTraining without a registered wasm backend (the user forgot
 * `import '@tensorflow/tfjs-backend-wasm'`). Simulated by removing the backend for one test and
 * registering its factory again afterwards; in a file of its own because that re-creates the
 * wasm module.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { enableWasmTraining } from '../../src/wasm';

test('throws BACKEND_UNAVAILABLE with a how-to-fix message when the wasm backend is not registered', async () => {
  const suite = tf.getBackend();
  const factory = tf.findBackendFactory('wasm');
  await tf.setBackend('cpu');
  tf.removeBackend('wasm');
  try {
    let error: unknown;
    try {
      enableWasmTraining();
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ name: 'PruneError', code: 'BACKEND_UNAVAILABLE' });
    expect((error as Error).message).toContain("import '@tensorflow/tfjs-backend-wasm'");
  } finally {
    tf.registerBackend('wasm', factory, 2);
    await tf.setBackend(suite);
  }
  // Registered again, it works (and a fresh wasm instance trains).
  expect(enableWasmTraining().added).toHaveLength(4);
  const before = tf.memory().numTensors;
  await tf.setBackend('wasm');
  const w = tf.ones([3, 3, 1, 1]);
  const x = tf.ones([1, 4, 4, 1]);
  const g = tf.grad((f: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'valid').sum())(w);
  expect(Array.from(g.dataSync())).toEqual(new Array(9).fill(4));
  tf.dispose([w, x, g]);
  await tf.setBackend(suite);
  expect(tf.memory().numTensors).toBe(before);
});
