import * as tf from '@tensorflow/tfjs';

/**
 * True when every float weight of the model is finite. A diverged model is recognised by its
 * weights, not only by its loss: on some backends a clipped cross-entropy of NaN predictions stays
 * finite (wasm's clipByValue maps NaN to the lower bound).
 */
export function weightsFinite(model: tf.LayersModel): boolean {
  const flags = tf.tidy(() => {
    const floats = model.getWeights().filter((w) => w.dtype === 'float32');
    return floats.length === 0 ? tf.scalar(1) : tf.stack(floats.map((w) => w.isFinite().all().toFloat())).min();
  });
  try {
    return flags.dataSync()[0] === 1;
  } finally {
    flags.dispose();
  }
}
