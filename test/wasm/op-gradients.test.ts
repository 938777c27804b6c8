/**
 * A sweep over the ops models are trained with: the gradient of each on wasm (with
 * enableWasmTraining) equals the cpu backend's. This sweep found wasm 4.22's MaxPoolGrad bug and
 * its missing UnsortedSegmentSum; it guards against others in later wasm versions.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { enableWasmTraining } from '../../src/wasm';
import { expectAllClose, onBackend, seeded, toHost, toTensor, type HostTensor } from './cross-backend';

beforeAll(() => {
  enableWasmTraining();
});

type Op = (x: tf.Tensor4D) => tf.Tensor;

const OPS: Record<string, Op> = {
  'maxPool 2x2 valid': (x) => tf.maxPool(x, 2, 2, 'valid'),
  'maxPool 3x3 stride 2 same': (x) => tf.maxPool(x, 3, 2, 'same'),
  'maxPool of negative values': (x) => tf.maxPool(tf.sub(x, 2) as tf.Tensor4D, 2, 2, 'valid'),
  'avgPool 3x3 stride 2 same': (x) => tf.avgPool(x, 3, 2, 'same'),
  'avgPool 2x2 valid': (x) => tf.avgPool(x, 2, 2, 'valid'),
  relu: (x) => tf.relu(x),
  relu6: (x) => tf.relu6(tf.mul(x, 8)),
  leakyRelu: (x) => tf.leakyRelu(x, 0.2),
  elu: (x) => tf.elu(x),
  selu: (x) => tf.selu(x),
  prelu: (x) => tf.prelu(x, tf.fill([x.shape[3]], 0.3) as tf.Tensor as tf.Tensor4D), // alpha [C] broadcasts
  sigmoid: (x) => tf.sigmoid(x),
  tanh: (x) => tf.tanh(x),
  softmax: (x) => tf.softmax(x),
  logSoftmax: (x) => tf.logSoftmax(x),
  'mean over H, W': (x) => tf.mean(x, [1, 2]),
  'max over H, W': (x) => tf.max(x, [1, 2]),
  'batchNorm with batch moments': (x) => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    return tf.batchNorm(x, mean, variance, tf.fill([x.shape[3]], 0.5), tf.fill([x.shape[3]], 1.5), 1e-3);
  },
  resizeBilinear: (x) => tf.image.resizeBilinear(x, [9, 7]),
  'resizeBilinear, align corners': (x) => tf.image.resizeBilinear(x, [9, 7], true),
  concat: (x) => tf.concat([x, tf.mul(x, 2)], 3),
  slice: (x) => tf.slice(x, [0, 1, 1, 0], [2, 3, 3, 3]),
  pad: (x) => tf.pad(x, [[0, 0], [1, 2], [0, 1], [0, 0]]),
  mirrorPad: (x) => tf.mirrorPad(x, [[0, 0], [1, 1], [2, 0], [0, 0]], 'reflect'),
  transpose: (x) => tf.transpose(x, [0, 3, 1, 2]),
  tile: (x) => tf.tile(x, [1, 2, 1, 2]),
  gather: (x) => tf.gather(x, [2, 0, 2], 3),
  clipByValue: (x) => tf.clipByValue(x, -0.3, 0.4),
  abs: (x) => tf.abs(x),
  squaredDifference: (x) => tf.squaredDifference(x, tf.mul(x, 0.3)),
  maximum: (x) => tf.maximum(x, 0.1),
  minimum: (x) => tf.minimum(x, tf.neg(x)),
  softplus: (x) => tf.softplus(x),
  'matMul of the flattened input': (x) => tf.matMul(tf.reshape(x, [2, 75]), tf.fill([75, 4], 0.1)),
  'conv1d stride 2 same': (x) => tf.conv1d(tf.reshape(x, [2, 25, 3]) as tf.Tensor3D, tf.fill([3, 3, 2], 0.1) as tf.Tensor3D, 2, 'same'),
  localResponseNormalization: (x) => tf.localResponseNormalization(x, 2),
};

/** Gradient of `sum(op(x) * w)` for fixed random `w`, on `backend`. */
const gradient = (backend: 'cpu' | 'wasm', op: Op, x: HostTensor): Promise<HostTensor> =>
  onBackend(backend, () => {
    const xt = toTensor(x);
    const shape = tf.tidy(() => op(xt as tf.Tensor4D).shape);
    const w = toTensor(seeded(shape, 17));
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(op(a as tf.Tensor4D), w)))(xt);
    const host = toHost(g);
    tf.dispose([xt, w, g]);
    return host;
  });

describe('gradients of common ops on wasm equal the cpu backend', () => {
  const x = seeded([2, 5, 5, 3], 7);
  test.each(Object.entries(OPS))('%s', async (_name, op) => {
    const before = tf.memory().numTensors;
    expectAllClose([await gradient('wasm', op, x)], [await gradient('cpu', op, x)], 1e-4, 1e-6);
    expect(tf.memory().numTensors).toBe(before);
  });
});
