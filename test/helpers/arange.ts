import * as tf from '@tensorflow/tfjs';

/** A tensor holding 0, 1, 2, ... in row-major order (easy to check slices by hand). */
export function arange(shape: number[], start = 0): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Array.from({ length: n }, (_, i) => start + i), shape);
}

/** Sets every weight of a layer to `arange` values, offset per weight so no two are equal. */
export function setArangeWeights(layer: tf.layers.Layer, start = 0): void {
  let offset = start;
  const values = layer.weights.map((w) => {
    const t = arange(w.shape as number[], offset);
    offset += t.size;
    return t;
  });
  layer.setWeights(values);
  tf.dispose(values);
}

/** Deterministic pseudo-random inputs. */
export function input(shape: number[], seed = 1): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}
