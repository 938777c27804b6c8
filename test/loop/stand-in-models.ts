import * as tf from '@tensorflow/tfjs';

const init = (seed: number) => tf.initializers.glorotUniform({ seed });

/**
 * A small stand-in for a super-resolution network (ESRGAN, RDN): input `[null, null, null, 3]`
 * (any image size), conv 3->8 (3x3, same), BatchNormalization (`scale` as asked), ReLU, conv 8->4,
 * 2x upsampling, conv 4->3. Fixed size `[h, w, 3]` instead when `fixed` is given (same weights
 * for the same seed).
 */
export function srStandIn({ scale = true, fixed, seed = 11 }: { scale?: boolean; fixed?: [number, number]; seed?: number } = {}): tf.LayersModel {
  const input = tf.input({ shape: (fixed ? [...fixed, 3] : [null, null, 3]) as number[], name: 'image' });
  let h = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', name: 'c1', kernelInitializer: init(seed) }).apply(input) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization({ scale, name: 'bn1' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.reLU({ name: 'relu1' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'c2', kernelInitializer: init(seed + 1) }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.upSampling2d({ size: [2, 2], name: 'up' }).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'c3', kernelInitializer: init(seed + 2) }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'sr' });
}

/** Seeded random images `[n, h, w, 3]`. */
export function images(n: number, h: number, w: number, seed = 1): tf.Tensor4D {
  return tf.randomUniform([n, h, w, 3], 0, 1, 'float32', seed) as tf.Tensor4D;
}
