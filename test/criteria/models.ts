import * as tf from '@tensorflow/tfjs';

type Sym = tf.SymbolicTensor;
const glorot = (seed: number) => tf.initializers.glorotUniform({ seed });

/** conv(relu) -> BN -> maxpool -> flatten -> dense(relu) -> dense(softmax): groups c1 (4) and d1 (5). */
export function smallCnn(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c1', kernelInitializer: glorot(1), biasInitializer: tf.initializers.constant({ value: 0.1 }) }),
      tf.layers.batchNormalization({ name: 'bn1', gammaInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: 2 }), betaInitializer: tf.initializers.constant({ value: 0.05 }) }),
      tf.layers.maxPooling2d({ poolSize: 2, name: 'p1' }),
      tf.layers.flatten({ name: 'f' }),
      tf.layers.dense({ units: 5, activation: 'relu', name: 'd1', kernelInitializer: glorot(3), biasInitializer: tf.initializers.constant({ value: 0.1 }) }),
      tf.layers.dense({ units: 3, activation: 'softmax', name: 'out', kernelInitializer: glorot(4) }),
    ],
  });
}

/**
 * A residual block whose Add ties producers a and b into one group 'a' (4 channels), read by two
 * consumers: conv b (tensor a) and the Dense after the Add (flattened).
 */
export function residualModel(): tf.LayersModel {
  const x = tf.input({ shape: [4, 4, 2] });
  const a = tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'a', kernelInitializer: glorot(5) }).apply(x) as Sym;
  const b = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'b', kernelInitializer: glorot(6) }).apply(a) as Sym;
  const s = tf.layers.add({ name: 'add' }).apply([a, b]) as Sym;
  const r = tf.layers.reLU({ name: 'r' }).apply(s) as Sym;
  const f = tf.layers.flatten({ name: 'f' }).apply(r) as Sym;
  const y = tf.layers.dense({ units: 3, activation: 'softmax', name: 'out', kernelInitializer: glorot(7) }).apply(f) as Sym;
  return tf.model({ inputs: x, outputs: y });
}

/** Seeded inputs and one-hot labels. */
export function dataFor(shape: number[], n: number, classes = 3, seed = 11): { x: tf.Tensor; y: tf.Tensor } {
  const x = tf.randomNormal([n, ...shape], 0, 1, 'float32', seed);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({ length: n }, (_, i) => (i * 7 + seed) % classes), 'int32'), classes).toFloat());
  return { x, y };
}
