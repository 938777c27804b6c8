import type * as tf from '@tensorflow/tfjs';
import { weightShortName } from '../model/weight-short-name';
import { resolveModel, type ResolvedModel } from '../graph/resolve-model';
import { PruneError } from '../errors';
import { checkDataSource } from '../data/data-source';
import { compensateModel } from '../compensation/compensate-model';
import { resolveCompensation, type CompensateOptions } from '../compensation/compensate-options';
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
 *
 * With `{ compensate: { data } }` it returns a Promise of the model, repaired on unlabeled
 * calibration samples before any training (post-training pruning): see {@link CompensateOptions}.
 */
export function prune(model: tf.LayersModel, removals: Removals): tf.LayersModel;
export function prune(model: tf.LayersModel, removals: Removals, options: PruneOptions & { compensate: CompensateOptions }): Promise<tf.LayersModel>;
export function prune(model: tf.LayersModel, removals: Removals, options?: PruneOptions): tf.LayersModel | Promise<tf.LayersModel>;
export function prune(model: tf.LayersModel, removals: Removals, options?: PruneOptions): tf.LayersModel | Promise<tf.LayersModel> {
  const resolved = resolveModel(model);
  const removed = validateRemovals(resolved, removals);
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new PruneError('INVALID_OPTION', `prune: options must be an object such as { compensate: { data } }; got ${String(options)}.`);
  }
  const unknown = Object.keys(options ?? {}).filter((k) => k !== 'compensate');
  if (unknown.length > 0) throw new PruneError('INVALID_OPTION', `prune: unknown option(s) ${unknown.join(', ')}; the only option is compensate.`);
  if (options?.compensate === undefined) return cutModel(model, resolved, removed);
  const given = options.compensate;
  return (async () => {
    // With compensation, every refusal is a rejection of the returned Promise.
    const compensation = resolveCompensation(given, 'prune');
    checkDataSource(model, compensation.data, 'prune.compensate.data', false);
    const cut = cutModel(model, resolved, removed);
    try {
      await compensateModel(model, resolved, removed, cut, compensation, 'prune');
      return cut;
    } catch (e) {
      cut.dispose();
      throw e;
    }
  })();
}

/**
 * Options of {@link prune}.
 *
 * @example
 * ```ts
 * const options: PruneOptions = { compensate: { data: { x: xTrain.slice(0, 512) } } };
 * const smaller = await prune(model, { dense_Dense1: [2] }, options);
 * ```
 */
export interface PruneOptions {
  /**
   * Repair the layers that read removed channels on calibration samples (no labels), before any
   * training: see {@link CompensateOptions}. With it, `prune` returns a Promise.
   */
  compensate?: CompensateOptions;
}

/** The surgery itself: a new model with the classes in `removed` gone. */
export function cutModel(model: tf.LayersModel, resolved: ResolvedModel, removed: Set<number>): tf.LayersModel {
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
