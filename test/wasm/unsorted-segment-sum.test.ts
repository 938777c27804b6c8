/** UnsortedSegmentSum on wasm (the gradient of tf.gather, so of Embedding layers). */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { enableWasmTraining } from '../../src/wasm';
import { expectAllClose, onBackend, seeded, toHost, toTensor } from './cross-backend';

beforeAll(() => {
  enableWasmTraining();
});

describe('unsortedSegmentSum on wasm', () => {
  test('hand-computed, with an out-of-range id dropped', async () => {
    const out = await onBackend('wasm', () => {
      const x = tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]]);
      const ids = tf.tensor1d([1, 0, 1, 5], 'int32');
      const y = tf.unsortedSegmentSum(x, ids, 3);
      const r = { shape: y.shape, values: Array.from(y.dataSync()) };
      tf.dispose([x, ids, y]);
      return r;
    });
    expect(out).toEqual({ shape: [3, 2], values: [3, 4, 6, 8, 0, 0] });
  });

  test('int32 values and 2-D segment ids', async () => {
    const out = await onBackend('wasm', () => {
      const x = tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2], 'int32');
      const ids = tf.tensor2d([[0, 0], [1, 0]], [2, 2], 'int32');
      // The op takes 1-D ids; the kernel (as on cpu) also handles ids over several leading axes.
      const y = tf.engine().runKernel('UnsortedSegmentSum', { x, segmentIds: ids }, { numSegments: 2 }) as tf.Tensor;
      const r = { dtype: y.dtype, values: Array.from(y.dataSync()) };
      tf.dispose([x, ids, y]);
      return r;
    });
    expect(out).toEqual({ dtype: 'int32', values: [1 + 3 + 7, 2 + 4 + 8, 5, 6] });
  });

  test('the gradient of gather (repeated indices, several axes) equals the cpu backend', async () => {
    const x = seeded([5, 3, 4], 9);
    const run = (backend: 'cpu' | 'wasm') =>
      onBackend(backend, () => {
        const t = toTensor(x);
        const grads = [0, 1, 2].map((axis) =>
          tf.grad((a: tf.Tensor) => tf.gather(a, [2, 0, 2, 1], axis).square().sum())(t),
        );
        const host = grads.map(toHost);
        tf.dispose([t, ...grads]);
        return host;
      });
    const before = tf.memory().numTensors;
    expectAllClose(await run('wasm'), await run('cpu'));
    expect(tf.memory().numTensors).toBe(before);
  });

  test('an Embedding model trains one step on wasm as on cpu', async () => {
    const step = (backend: 'cpu' | 'wasm') =>
      onBackend(backend, async () => {
        const model = tf.sequential({
          layers: [
            tf.layers.embedding({ inputDim: 10, outputDim: 4, inputLength: 3, embeddingsInitializer: tf.initializers.randomUniform({ seed: 1 }) }),
            tf.layers.flatten(),
            tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
          ],
        });
        model.compile({ optimizer: tf.train.sgd(0.5), loss: 'meanSquaredError' });
        const x = tf.tensor2d([[1, 2, 1], [9, 0, 2]], [2, 3], 'int32');
        const y = tf.tensor2d([[1, 0], [0, 1]]);
        await model.trainOnBatch(x, y);
        const host = model.getWeights().map(toHost);
        tf.dispose([x, y]);
        model.optimizer.dispose();
        model.dispose();
        return host;
      });
    expectAllClose(await step('wasm'), await step('cpu'));
  });
});
