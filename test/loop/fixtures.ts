import * as tf from '@tensorflow/tfjs';

/**
 * A small, seeded, learnable task: 8 features, 3 classes given by the arg-max of a fixed linear
 * map of the features. Returns train and validation tensors (the caller disposes them).
 */
export function task(nTrain = 384, nVal = 128, seed = 3): { xTrain: tf.Tensor2D; yTrain: tf.Tensor2D; xVal: tf.Tensor2D; yVal: tf.Tensor2D } {
  return tf.tidy(() => {
    const w = tf.randomNormal([8, 3], 0, 1, 'float32', seed);
    const make = (n: number, s: number) => {
      const x = tf.randomNormal([n, 8], 0, 1, 'float32', s) as tf.Tensor2D;
      const y = tf.oneHot(x.matMul(w).argMax(-1), 3).toFloat() as tf.Tensor2D;
      return { x, y };
    };
    const train = make(nTrain, seed + 1);
    const val = make(nVal, seed + 2);
    return { xTrain: train.x, yTrain: train.y, xVal: val.x, yVal: val.y };
  });
}

/** Dense 8 -> h1 (relu) -> h2 (relu) -> 3 (softmax), seeded: prunable groups h1 and h2. */
export function mlp(units: [number, number] = [16, 12], seed = 5): tf.Sequential {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: seed + s });
  return tf.sequential({
    name: 'mlp',
    layers: [
      tf.layers.dense({ inputShape: [8], units: units[0], activation: 'relu', name: 'h1', kernelInitializer: init(1) }),
      tf.layers.dense({ units: units[1], activation: 'relu', name: 'h2', kernelInitializer: init(2) }),
      tf.layers.dense({ units: 3, activation: 'softmax', name: 'out', kernelInitializer: init(3) }),
    ],
  });
}

/** Trains a model in place, deterministically (no shuffling). */
export async function pretrain(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, epochs = 20): Promise<void> {
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  await model.fit(x, y, { epochs, batchSize: 32, shuffle: false, verbose: 0 });
}

/** Copies of every weight, to check later that a model was not modified. */
export function weightsOf(model: tf.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => Float32Array.from(w.dataSync()));
}
