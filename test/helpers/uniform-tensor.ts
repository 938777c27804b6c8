import * as tf from '@tensorflow/tfjs';
import { seededRandom } from '../../src/util/seeded-random';

/** Seeded values uniform in `[-scale, scale)`, the same on every backend. */
export function uniformTensor(shape: number[], seed: number, scale = 1): tf.Tensor {
  const r = seededRandom(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale), shape);
}
