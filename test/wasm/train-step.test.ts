/**
 * Whole-model training on wasm: one optimizer step of a model with conv, BN, depthwise,
 * separable and dense layers gives the same weights as on the cpu backend; many steps leak
 * neither tensors nor wasm memory.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { enableWasmTraining } from '../../src/wasm';
import { expectAllClose, onBackend, seeded, toTensor, trainOneStep, wasmBackend, type HostTensor } from './cross-backend';

beforeAll(() => {
  enableWasmTraining();
});

const init = (seed: number) => tf.initializers.glorotUniform({ seed });

function buildModel(): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [12, 12, 3], filters: 6, kernelSize: 3, strides: 2, padding: 'same', useBias: false, kernelInitializer: init(1) }),
      tf.layers.batchNormalization(),
      tf.layers.reLU(),
      tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', depthwiseInitializer: init(2) }),
      tf.layers.activation({ activation: 'relu6' }),
      tf.layers.batchNormalization({ momentum: 0.9 }),
      tf.layers.maxPooling2d({ poolSize: 2, padding: 'same' }), // after BN: negative maxima too
      tf.layers.separableConv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'valid', depthwiseInitializer: init(3), pointwiseInitializer: init(4) }),
      tf.layers.conv2d({ filters: 5, kernelSize: 1, activation: 'relu', kernelInitializer: init(5) }),
      tf.layers.conv2dTranspose({ filters: 4, kernelSize: 2, strides: 2, kernelInitializer: init(6) }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 4, activation: 'softmax', kernelInitializer: init(7) }),
    ],
  });
  model.compile({ optimizer: tf.train.sgd(0.5), loss: 'categoricalCrossentropy' });
  return model;
}

const X = seeded([6, 12, 12, 3], 31);
const Y: HostTensor = { values: new Float32Array(24).map((_, i) => (i % 4 === Math.floor(i / 4) % 4 ? 1 : 0)), shape: [6, 4] };

/** Weights (trainable and BN moving statistics) before and after one SGD step on `backend`. */
async function oneStep(backend: 'cpu' | 'wasm'): Promise<{ before: HostTensor[]; after: HostTensor[]; loss: number }> {
  return trainOneStep(backend, buildModel, X, Y);
}

const minus = (a: HostTensor[], b: HostTensor[]): HostTensor[] =>
  a.map((t, k) => ({ shape: t.shape, values: t.values.map((v, i) => v - b[k].values[i]) }));

describe('training a whole model on wasm', () => {
  test('one SGD step gives the same weights as on cpu (conv, BN, depthwise, max pool, separable, transpose, dense)', async () => {
    const before = tf.memory().numTensors;
    const wasm = await oneStep('wasm');
    const cpu = await oneStep('cpu');
    expectAllClose(wasm.before, cpu.before, 0, 0); // same seeded start
    expect(Math.abs(wasm.loss - cpu.loss)).toBeLessThan(1e-5 * Math.abs(cpu.loss));
    const update = minus(cpu.after, cpu.before);
    // Every weight moved (the step is not trivially zero somewhere)...
    update.forEach((u) => expect(u.values.some((v) => v !== 0)).toBe(true));
    // ...and by the same amount on both backends, to float tolerance of the update's scale.
    expectAllClose(minus(wasm.after, wasm.before), update, 1e-4, 1e-7);
    expectAllClose(wasm.after, cpu.after, 1e-5, 1e-6);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('many steps leak no tensor, no wasm buffer and no wasm memory', async () => {
    // Emscripten module members the typings of tfjs-backend-wasm leave out.
    const wasm = wasmBackend().wasm as unknown as { _malloc(n: number): number; _free(p: number): void; HEAPU8: Uint8Array };
    /** Where a 4 MB block lands: moves up if freed memory is not reused (a leak). */
    const probe = (): number => {
      const p = wasm._malloc(4 << 20);
      wasm._free(p);
      return p;
    };
    await onBackend('wasm', async () => {
      const model = buildModel();
      const [x, y] = [X, Y].map(toTensor);
      for (let i = 0; i < 3; i++) await model.trainOnBatch(x, y); // warm-up: optimizer state, caches
      const tensors = tf.memory().numTensors;
      const buffers = wasmBackend().numDataIds();
      const heap = wasm.HEAPU8.byteLength;
      const block = probe();
      for (let i = 0; i < 40; i++) await model.trainOnBatch(x, y);
      expect(tf.memory().numTensors).toBe(tensors);
      expect(wasmBackend().numDataIds()).toBe(buffers);
      expect(wasm.HEAPU8.byteLength).toBe(heap);
      expect(probe()).toBeLessThanOrEqual(block);
      tf.dispose([x, y]);
      model.optimizer.dispose();
      model.dispose();
    });
  });
});
