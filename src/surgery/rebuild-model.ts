import * as tf from '@tensorflow/tfjs';
import { PruneError } from '../errors';
import { layerConfig } from '../model/layer-config';

/** A config entry of one layer inside a model config. */
interface LayerEntry {
  className: string;
  config: Record<string, unknown> & { name?: string; layers?: LayerEntry[] };
}

/** A model's config as `getConfig()` returns it (camelCase keys). */
export type ModelConfig = { layers: LayerEntry[] } & Record<string, unknown>;

function classNamesOf(entries: LayerEntry[], out: Set<string>): Set<string> {
  for (const e of entries) {
    out.add(e.className);
    if (Array.isArray(e.config.layers)) classNamesOf(e.config.layers, out);
  }
  return out;
}

/**
 * Builds a new, independent model from `model`'s config with per-layer config patches (and, when
 * given, `editConfig`'s changes to the whole config, e.g. layers removed), then loads
 * `weightsFor(layer)` into each layer of the new model (`layer`: the input model's layer of the
 * same name). The input model is only read.
 */
export function rebuildModel(
  model: tf.LayersModel,
  patches: Map<string, Record<string, unknown>>,
  weightsFor: (layer: tf.layers.Layer) => tf.Tensor[],
  editConfig?: (config: ModelConfig) => void,
): tf.LayersModel {
  const config = JSON.parse(JSON.stringify(model.getConfig())) as ModelConfig;
  for (const entry of config.layers) {
    const name = entry.config.name as string;
    // Fields TF.js's getConfig() forgets (see layerConfig), then the surgery's edits.
    for (const [key, value] of Object.entries(layerConfig(model.getLayer(name)))) {
      if (!(key in entry.config)) entry.config[key] = value;
    }
    Object.assign(entry.config, patches.get(name));
  }
  editConfig?.(config);
  const registered = tf.serialization.SerializationMap.getMap().classNameMap;
  for (const cls of classNamesOf(config.layers, new Set())) {
    if (!(cls in registered)) {
      throw new PruneError(
        'UNREGISTERED_LAYER',
        `Layer class '${cls}' is not registered with TF.js serialization, so the pruned model cannot be rebuilt. ` +
          `Register it with tf.serialization.registerClass(${cls}) (it needs a static className and getConfig()).`,
      );
    }
  }
  const isSequential = model.getClassName() === 'Sequential';
  type FromConfig = (cls: unknown, config: unknown, customObjects: object, fastWeightInit: boolean) => tf.LayersModel;
  const fromConfig = (isSequential ? tf.Sequential.fromConfig : tf.LayersModel.fromConfig) as unknown as FromConfig;
  const rebuilt = fromConfig(isSequential ? tf.Sequential : tf.LayersModel, config, {}, true);
  for (const target of rebuilt.layers) {
    const layer = model.getLayer(target.name);
    const weights = weightsFor(layer);
    const expected = target.weights.map((w) => w.shape);
    const mismatch = weights.length !== expected.length || weights.some((w, i) => !tf.util.arraysEqual(w.shape, expected[i] as number[]));
    if (mismatch) {
      rebuilt.dispose();
      throw new PruneError(
        'INTERNAL',
        `Rebuilt layer '${layer.name}' expects weights of shapes ${JSON.stringify(expected)} but surgery produced ${JSON.stringify(weights.map((w) => w.shape))}.`,
      );
    }
    if (weights.length > 0) target.setWeights(weights);
  }
  return rebuilt;
}
