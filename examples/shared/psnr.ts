import * as tf from '@tensorflow/tfjs';

/**
 * Peak signal-to-noise ratio in dB of `a` against `b`, images with values in [0, 255] (both
 * clipped to that range first), over all their values: `10 log10(255² / MSE)`. `Infinity` when
 * they are equal.
 *
 * @example
 * ```ts
 * console.log(psnr(pruned.predict(x) as tf.Tensor, original.predict(x) as tf.Tensor).toFixed(2), 'dB');
 * ```
 */
export function psnr(a: tf.Tensor, b: tf.Tensor): number {
  const mse = tf.tidy(() => a.clipByValue(0, 255).sub(b.clipByValue(0, 255)).square().mean().dataSync()[0]);
  return 10 * Math.log10((255 * 255) / mse);
}
