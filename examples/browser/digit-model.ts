/**
 * The small CNN the browser example trains and prunes, and its top-1 accuracy. Sized so that
 * training, pruning and fine-tuning fit in about a minute on 2 CPU cores in headless Chromium.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * A seeded digit classifier: two 3x3 conv layers with max pooling, then two Dense layers
 * (conv1 12 filters, conv2 24, fc1 48 units; 28x28x1 in, 10 softmax out). The same seed gives
 * the same initial weights.
 *
 * @example
 * ```ts
 * const model = buildDigitModel(7);
 * model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
 * ```
 */
export function buildDigitModel(seed: number): tf.Sequential {
  const init = (offset: number) => tf.initializers.glorotUniform({ seed: seed + offset });
  return tf.sequential({
    name: 'digits',
    layers: [
      tf.layers.conv2d({ name: 'conv1', inputShape: [28, 28, 1], filters: 12, kernelSize: 3, activation: 'relu', kernelInitializer: init(1) }),
      tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }),
      tf.layers.conv2d({ name: 'conv2', filters: 24, kernelSize: 3, activation: 'relu', kernelInitializer: init(2) }),
      tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({ name: 'fc1', units: 48, activation: 'relu', kernelInitializer: init(3) }),
      tf.layers.dense({ name: 'out', units: 10, activation: 'softmax', kernelInitializer: init(4) }),
    ],
  });
}

/**
 * Top-1 accuracy of `model` on `x` against one-hot labels `y`, predicted in batches of 250.
 *
 * @example
 * ```ts
 * console.log(`test accuracy ${(100 * digitAccuracy(model, xTest, yTest)).toFixed(1)}%`);
 * ```
 */
export function digitAccuracy(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): number {
  return tf.tidy(() => {
    const predicted = (model.predict(x, { batchSize: 250 }) as tf.Tensor).argMax(-1);
    return predicted.equal(y.argMax(-1)).mean().dataSync()[0];
  });
}
