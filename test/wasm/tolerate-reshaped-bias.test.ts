/**
 * wasm 4.22's fused kernels check the shape a bias buffer was allocated with, so a bias made by
 * tf.gather (as pruned layers' biases are) is refused on wasm; enableWasmTraining wraps them.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { enableWasmTraining } from '../../src/wasm';
import type { ReplacingKernelConfig } from '../../src/wasm';
import { expectAllClose, onBackend, seeded, toHost, toTensor, wasmBackend, type HostTensor } from './cross-backend';

beforeAll(() => {
  enableWasmTraining();
});

/** A rank-1 bias whose buffer was allocated as [1, 1, n, 1] (GatherV2 on wasm does that). */
const gatheredBias = (values: number[]): tf.Tensor1D =>
  tf.tidy(() => tf.gather(tf.tensor4d(values, [1, 1, values.length, 1]), [...values.keys()], 2).reshape([values.length]));

function buildModel(): tf.LayersModel {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [5, 5, 2], filters: 3, kernelSize: 3, activation: 'relu', kernelInitializer: init(1) }),
      tf.layers.depthwiseConv2d({ kernelSize: 3, depthwiseInitializer: init(2) }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 2, kernelInitializer: init(3) }),
    ],
  });
}

/** Predictions of the model with gathered biases set on every layer, on `backend`. */
const predictWithGatheredBiases = (backend: 'cpu' | 'wasm', x: HostTensor) =>
  onBackend(backend, () => {
    const model = buildModel();
    const biases = [gatheredBias([0.5, -1, 2]), gatheredBias([1, 2, 3]), gatheredBias([-0.25, 0.75])];
    [0, 1, 3].forEach((layer, i) => {
      const [kernel] = model.layers[layer].getWeights();
      model.layers[layer].setWeights([kernel, biases[i]]);
    });
    const xt = toTensor(x);
    const y = model.predict(xt) as tf.Tensor;
    const host = toHost(y);
    tf.dispose([xt, y, ...biases]);
    model.dispose();
    return host;
  });

describe('fused kernels accept a bias made by gather/reshape', () => {
  test("the wasm backend's own FusedConv2D refuses such a bias (the bug being worked around)", async () => {
    await onBackend('wasm', () => {
      const original = (tf.getKernel('FusedConv2D', 'wasm') as ReplacingKernelConfig).replaced as tf.KernelConfig;
      const x = tf.ones([1, 3, 3, 1]);
      const filter = tf.ones([1, 1, 1, 2]);
      const bias = gatheredBias([1, 2]);
      try {
        expect(wasmBackend().dataIdMap.get(bias.dataId)?.shape).toEqual([1, 1, 2, 1]);
        expect(() =>
          original.kernelFunc({
            inputs: { x, filter, bias },
            attrs: { strides: 1, pad: 'valid', dataFormat: 'NHWC', dilations: 1, activation: 'linear' },
            backend: wasmBackend(),
          }),
        ).toThrow(/only supports rank-1 bias but got rank 4/);
      } finally {
        tf.dispose([x, filter, bias]);
      }
    });
  });

  test('hand-computed: ones * ones over a 1x1 kernel plus bias [1, 2]', async () => {
    const out = await onBackend('wasm', () => {
      const x = tf.ones([1, 2, 2, 1]);
      const filter = tf.fill([1, 1, 1, 2], 3);
      const bias = gatheredBias([1, 2]);
      const y = tf.fused.conv2d({ x: x as tf.Tensor4D, filter: filter as tf.Tensor4D, strides: 1, pad: 'valid', bias });
      const values = Array.from(y.dataSync());
      tf.dispose([x, filter, bias, y]);
      return values;
    });
    expect(out).toEqual([4, 5, 4, 5, 4, 5, 4, 5]);
  });

  test('hand-computed: fused depthwise conv, x [1, 2] per pixel times [3, 4] plus bias [1, 2]', async () => {
    const out = await onBackend('wasm', () => {
      const x = tf.tensor4d([1, 2, 1, 2], [1, 1, 2, 2]);
      const filter = tf.tensor4d([3, 4], [1, 1, 2, 1]);
      const bias = gatheredBias([1, 2]);
      const y = tf.fused.depthwiseConv2d({ x, filter, strides: 1, pad: 'valid', bias });
      const values = Array.from(y.dataSync());
      tf.dispose([x, filter, bias, y]);
      return values;
    });
    expect(out).toEqual([4, 10, 4, 10]);
  });

  test('a model with gathered biases on Conv2D, DepthwiseConv2D and Dense predicts as on cpu', async () => {
    const before = tf.memory().numTensors;
    const x = seeded([2, 5, 5, 2], 41);
    expectAllClose([await predictWithGatheredBiases('wasm', x)], [await predictWithGatheredBiases('cpu', x)]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
