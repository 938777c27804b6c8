import * as tf from '@tensorflow/tfjs';
import { PruneError } from '../errors';
import { rebuildModel } from '../surgery/rebuild-model';
import { weightShortName } from './weight-short-name';

/**
 * Names of the BatchNormalization layers of `model` built with `scale: false` (no gamma). TF.js
 * cannot compute gradients through them (tfjs issue 2868: the fused batch-norm gradient reads
 * the missing scale), so training and gradient criteria need {@link withBatchNormScale}.
 */
export function unscaledBatchNorms(model: tf.LayersModel): string[] {
  return model.layers
    .filter((l) => l.getClassName() === 'BatchNormalization' && (l.getConfig() as { scale?: unknown }).scale === false)
    .map((l) => l.name);
}

/**
 * A new model equal to `model` whose `scale: false` BatchNormalization layers (`names`) have
 * `scale: true` and gamma = 1, with gamma frozen (not trainable), so the outputs are identical and
 * gradients work. The input model is only read.
 */
export function withBatchNormScale(model: tf.LayersModel, names: readonly string[]): tf.LayersModel {
  const unscaled = new Set(names);
  const patches = new Map(names.map((n) => [n, { scale: true }]));
  const made: tf.Tensor[] = [];
  try {
    const rebuilt = rebuildModel(model, patches, (layer) => {
      const weights = layer.getWeights();
      if (!unscaled.has(layer.name)) return weights;
      const channels = weights[weights.length - 1].shape[0];
      const gamma = tf.ones([channels]);
      made.push(gamma);
      return [gamma, ...weights];
    });
    for (const name of names) {
      const gamma = rebuilt.getLayer(name).weights.find((w) => weightShortName(w) === 'gamma');
      if (gamma) gamma.trainable = false;
    }
    return rebuilt;
  } finally {
    tf.dispose(made);
  }
}

/**
 * Copies the weights of `scaled` (made by {@link withBatchNormScale} from a model with the same
 * layers, possibly trained) into `target`, whose BN layers `names` have no gamma. A gamma of 1
 * is dropped; a positive gamma other than 1 is folded into the moving variance
 * (`gamma / sqrt(v + eps) = 1 / sqrt(v' + eps)` with `v' = (v + eps) / gamma^2 - eps`), which
 * gives the same inference outputs. A gamma <= 0 cannot be folded: `INVALID_OPTION`, and
 * nothing is changed.
 */
export function copyBackUnscaled(scaled: tf.LayersModel, target: tf.LayersModel, names: readonly string[]): void {
  const unscaled = new Set(names);
  const plan: Array<[tf.layers.Layer, tf.Tensor[]]> = [];
  const made: tf.Tensor[] = [];
  try {
    for (const layer of target.layers) {
      const source = scaled.getLayer(layer.name);
      const weights = source.getWeights();
      if (!unscaled.has(layer.name)) {
        plan.push([layer, weights]);
        continue;
      }
      const short = source.weights.map(weightShortName);
      const at = (n: string): tf.Tensor => weights[short.indexOf(n)];
      const gamma = at('gamma').dataSync();
      if (gamma.some((g) => !(g > 0))) {
        throw new PruneError(
          'INVALID_OPTION',
          `BatchNormalization '${layer.name}' has scale: false, but training gave it a scale (gamma) <= 0, which cannot be folded back into its statistics. ` +
            'Keep its gamma frozen in your fine-tune function (the library freezes it), or rebuild the model with scale: true.',
        );
      }
      let variance = at('moving_variance');
      if (gamma.some((g) => g !== 1)) {
        const eps = (source.getConfig() as { epsilon?: number }).epsilon ?? 1e-3;
        variance = tf.tidy(() => at('moving_variance').add(eps).div(at('gamma').square()).sub(eps));
        made.push(variance);
      }
      plan.push([layer, weights.flatMap((w, i) => (short[i] === 'gamma' ? [] : [short[i] === 'moving_variance' ? variance : w]))]);
    }
    for (const [layer, weights] of plan) if (weights.length > 0) layer.setWeights(weights);
  } finally {
    tf.dispose(made);
  }
}
