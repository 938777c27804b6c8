import * as tf from '@tensorflow/tfjs';

/**
 * Asserts two tensors have the same shape and `max|a - e| <= rtol * max|e| + atol`
 * (the surgery invariant's "equal to float tolerance").
 */
export function expectClose(actual: tf.Tensor, expected: tf.Tensor, rtol = 1e-5, atol = 1e-6): void {
  expect(actual.shape).toEqual(expected.shape);
  const a = actual.dataSync();
  const e = expected.dataSync();
  let scale = 0;
  let err = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(e[i]));
    err = Math.max(err, Math.abs(a[i] - e[i]));
  }
  expect(err).toBeLessThanOrEqual(rtol * scale + atol);
}

/** Runs `model.predict` and returns the outputs as an array (for multi-output models too). */
export function predictAll(model: tf.LayersModel, x: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  const y = model.predict(x);
  return Array.isArray(y) ? y : [y];
}
