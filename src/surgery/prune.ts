import type * as tf from '@tensorflow/tfjs';
import { weightShortName } from '../model/weight-short-name';
import { resolveModel } from '../graph/resolve-model';
import { customSurgeryOf } from '../graph/channel-rule';
import { layerConfig } from '../model/layer-config';
import { keepPositions } from './keep-positions';
import { rebuildModel } from './rebuild-model';
import { sliceLayer, type NamedWeight } from './slice-layer';
import { validateRemovals, type Removals } from './validate-removals';

/**
 * Removes channels for real and returns a new, smaller `tf.LayersModel`. `removals` maps group
 * ids (from {@link analyze}) to channel indices; every layer of each group shrinks together:
 * producers lose output units or filters, pass-through layers (BN, PReLU, depthwise) lose the
 * matching slices, consumers lose the matching input rows (NHWC order after a `Flatten`).
 *
 * The new model computes what the original computes with the removed channels' consumer input
 * weights set to zero. It is not compiled (compile it before training) and loads without this
 * library. The input model is not modified and stays usable. The plan is validated before any
 * work; a bad plan throws a {@link PruneError}.
 *
 * @example
 * ```ts
 * import { analyze, prune } from 'tfjs-prune';
 *
 * const { groups } = analyze(model);
 * const conv = groups.find((g) => g.prunable)!;
 * const smaller = prune(model, { [conv.id]: [0, 3] }); // drop channels 0 and 3 of that group
 * smaller.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
 * ```
 */
export function prune(model: tf.LayersModel, removals: Removals): tf.LayersModel {
  const resolved = resolveModel(model);
  const removed = validateRemovals(resolved, removals);
  const { flow } = resolved;

  const nodeOf = new Map(flow.graph.nodes.map((n) => [n.name, n]));
  const ruleOf = new Map(flow.graph.nodes.map((n, i) => [n.name, flow.rules[i]]));
  const patches = new Map<string, Record<string, unknown>>();
  const sliced = new Map<string, tf.Tensor[]>();
  const created: tf.Tensor[] = [];
  try {
    for (const layer of model.layers) {
      const node = nodeOf.get(layer.name);
      if (!node || node.callCount > 1) continue;
      const keep = {
        input: node.inputs.length === 1 ? keepPositions(flow, node.inputs[0], removed) : null,
        output: node.outputs.length === 1 ? keepPositions(flow, node.outputs[0], removed) : null,
      };
      if (keep.input === null && keep.output === null) continue;
      const values = layer.getWeights();
      const weights: NamedWeight[] = layer.weights.map((w, i) => ({ name: weightShortName(w), value: values[i] }));
      const slice = sliceLayer(node.className, layer.name, layerConfig(layer), weights, keep, customSurgeryOf(ruleOf.get(layer.name)));
      if (Object.keys(slice.config).length > 0) patches.set(layer.name, slice.config);
      slice.weights.forEach((t, i) => {
        if (t !== weights[i].value) created.push(t);
      });
      sliced.set(layer.name, slice.weights);
    }
    return rebuildModel(model, patches, (layer) => sliced.get(layer.name) ?? layer.getWeights());
  } finally {
    created.forEach((t) => t.dispose());
  }
}
