import * as tf from '@tensorflow/tfjs';
import { resolveModel } from '../../src/graph/resolve-model';
import { keepPositions } from '../../src/surgery/keep-positions';
import { validateRemovals, type Removals } from '../../src/surgery/validate-removals';
import { cloneModel } from './clone-model';

/** Axis of a consumer's weight that holds one slice per input channel. */
function inputAxis(className: string, weightName: string, rank: number): number | null {
  if (weightName.endsWith('bias')) return null;
  if (className === 'Dense') return 0;
  if (className === 'Conv2DTranspose') return 3;
  if (className === 'SeparableConv2D') return weightName.endsWith('depthwise_kernel') ? 2 : null;
  return rank - 2; // Conv1D/2D/3D kernel [..., in, out]
}

/**
 * The surgery invariant's reference: a copy of `model` in which every consumer's input weights
 * for the removed channels are zero (the channels still exist, but nothing reads them).
 */
export async function zeroedReference(model: tf.LayersModel, removals: Removals): Promise<tf.LayersModel> {
  const resolved = resolveModel(model);
  const removed = validateRemovals(resolved, removals);
  const copy = await cloneModel(model, { restoreDepthMultiplier: true });
  resolved.flow.graph.nodes.forEach((node, i) => {
    const rule = resolved.flow.rules[i];
    if (rule.type !== 'producer' || !rule.consumesInput) return;
    const keep = keepPositions(resolved.flow, node.inputs[0], removed);
    if (keep === null) return;
    const layer = copy.getLayer(node.name);
    const width = node.inputShapes[0][node.inputShapes[0].length - 1] as number;
    const mask = new Float32Array(width);
    keep.forEach((p) => (mask[p] = 1));
    const weights = layer.getWeights().map((w, j) => {
      const weightName = (layer.weights[j].originalName ?? layer.weights[j].name).replace(/_\d+$/, "");
      // A custom producer declared its input axes (PrunableLayer); built-ins go by class.
      const axis = rule.custom ? rule.custom.weights[j].input : inputAxis(node.className, weightName, w.rank);
      if (axis === null) return w.clone();
      const shape = w.shape.map((_, d) => (d === axis ? width : 1));
      return tf.tidy(() => w.mul(tf.tensor(mask, shape)));
    });
    layer.setWeights(weights);
    weights.forEach((w) => w.dispose());
  });
  return copy;
}
