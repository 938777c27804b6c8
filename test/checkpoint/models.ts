import * as tf from '@tensorflow/tfjs';

/** Gives every weight of `model` seeded random values (BatchNorm variances positive), so a round trip that drops or mixes up a weight shows in the predictions. */
export function randomizeWeights(model: tf.LayersModel, seed = 1): void {
  const values = model.weights.map((w, i) =>
    tf.tidy(() => {
      const r = tf.randomUniform(w.shape as number[], -1, 1, 'float32', seed + i);
      return w.originalName.endsWith('moving_variance') ? r.abs().add(0.1) : r;
    }),
  );
  model.setWeights(values);
  tf.dispose(values);
}

/** Conv2D -> BatchNormalization -> ReLU -> pool -> Flatten -> Dense, random weights. */
export function convBnDenseModel(): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 4, kernelSize: 3, padding: 'same', name: 'conv' }),
      tf.layers.batchNormalization({ name: 'bn' }),
      tf.layers.reLU({ name: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2, name: 'pool' }),
      tf.layers.flatten({ name: 'flat' }),
      tf.layers.dense({ units: 3, activation: 'softmax', name: 'out' }),
    ],
  });
  randomizeWeights(model, 11);
  return model;
}

/** A functional model with a SeparableConv2D of depthMultiplier 2, and a Sequential with another one nested as a layer. */
export function separableModel(): tf.LayersModel {
  const inner = tf.sequential({
    name: 'inner',
    layers: [tf.layers.separableConv2d({ inputShape: [5, 5, 6], filters: 3, kernelSize: 3, depthMultiplier: 3, padding: 'same', name: 'sep_inner' })],
  });
  const input = tf.input({ shape: [5, 5, 2], name: 'x' });
  const sep = tf.layers.separableConv2d({ filters: 6, kernelSize: 3, depthMultiplier: 2, padding: 'same', name: 'sep' }).apply(input);
  const nested = inner.apply(sep) as tf.SymbolicTensor;
  const flat = tf.layers.flatten({ name: 'flat' }).apply(nested);
  const out = tf.layers.dense({ units: 2, name: 'out' }).apply(flat) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out, name: 'separable' });
  randomizeWeights(model, 23);
  return model;
}

/** The model's prediction on a fixed seeded batch, as plain numbers. */
export function predictionOf(model: tf.LayersModel, seed = 5): number[] {
  return tf.tidy(() => {
    const shape = model.inputs[0].shape.map((d) => d ?? 4);
    const y = model.predict(tf.randomNormal(shape, 0, 1, 'float32', seed)) as tf.Tensor;
    return Array.from(y.dataSync());
  });
}
