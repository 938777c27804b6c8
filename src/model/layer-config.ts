import type * as tf from '@tensorflow/tfjs';

/**
 * A layer's config as `getConfig()` returns it, completed with the fields TF.js 4.x forgets:
 * SeparableConv2D leaves out `depthMultiplier` (so TF.js's own save/load loses it too). Use
 * this instead of `layer.getConfig()` whenever a config field matters.
 *
 * @example
 * ```ts
 * const { depthMultiplier } = layerConfig(model.getLayer('separable_conv2d_1'));
 * ```
 */
export function layerConfig(layer: tf.layers.Layer): Record<string, unknown> {
  const config = layer.getConfig() as Record<string, unknown>;
  const live = layer as unknown as { depthMultiplier?: number };
  if (layer.getClassName() === 'SeparableConv2D' && live.depthMultiplier !== undefined) {
    return { ...config, depthMultiplier: live.depthMultiplier };
  }
  return config;
}
