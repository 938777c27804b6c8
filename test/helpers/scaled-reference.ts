import * as tf from '@tensorflow/tfjs';
import { resolveModel } from '../../src/graph/resolve-model';
import { channelIndex } from '../../src/criteria/channel-index';
import { cloneModel } from './clone-model';

/** Axis of a consumer's weight that holds one slice per input channel (null: not per input channel). */
function inputAxis(className: string, weightName: string, rank: number): number | null {
  if (weightName.endsWith('bias')) return null;
  if (className === 'Dense') return 0;
  if (className === 'Conv2DTranspose') return 3;
  if (className === 'SeparableConv2D') return weightName.endsWith('depthwise_kernel') ? 2 : null;
  return rank - 2;
}

/**
 * A copy of `model` in which every consumer's input weights for the given channels of a group are
 * multiplied by `factor` (consumers read `factor * z` for those channels). Independent of the
 * gate code under test: it edits weights, so `factor = 0` is the zeroed reference of the surgery
 * invariant and `1 +- eps` gives finite differences of the loss.
 */
export async function scaledReference(model: tf.LayersModel, groupId: string, channels: number[], factor: number): Promise<tf.LayersModel> {
  const resolved = resolveModel(model);
  const index = channelIndex(resolved);
  const copy = await cloneModel(model, { restoreDepthMultiplier: true });
  resolved.flow.graph.nodes.forEach((node, i) => {
    const rule = resolved.flow.rules[i];
    if (rule.type !== 'producer' || !rule.consumesInput) return;
    const positions = index.positionsOf(node.inputs[0], groupId);
    if (!positions.some((c) => channels.includes(c))) return;
    const mask = Float32Array.from(positions, (c) => (channels.includes(c) ? factor : 1));
    const layer = copy.getLayer(node.name);
    const weights = layer.getWeights().map((w, j) => {
      const name = (layer.weights[j].originalName ?? layer.weights[j].name).replace(/_\d+$/, '');
      const axis = inputAxis(node.className, name, w.rank);
      if (axis === null) return w.clone();
      const shape = w.shape.map((_, d) => (d === axis ? mask.length : 1));
      return tf.tidy(() => w.mul(tf.tensor(mask, shape)));
    });
    layer.setWeights(weights);
    tf.dispose(weights);
  });
  return copy;
}

/** Per-example categorical cross-entropy of a model's predictions (host values). */
export function perExampleCrossEntropy(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): Float64Array {
  const loss = tf.tidy(() => {
    const p = (model.predict(x) as tf.Tensor).clipByValue(1e-7, 1 - 1e-7);
    return y.mul(p.log()).sum(-1).neg();
  });
  const values = Float64Array.from(loss.dataSync());
  loss.dispose();
  return values;
}
