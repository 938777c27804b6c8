import * as tf from '@tensorflow/tfjs';
import { PruneError } from '../errors';
import { assertLayersModel } from '../model/assert-layers-model';
import { layerConfig } from '../model/layer-config';
import { copyArtifacts } from './copy-artifacts';
import { validateArtifacts } from './validate-checkpoint';
import { copyWeightData, isArrayBuffer } from './weight-data';

/** One layer entry of a Keras-style topology (`config.layers[i]`). */
interface TopologyLayer {
  class_name: string;
  config: { name?: string; layers?: TopologyLayer[]; [key: string]: unknown };
}

/** Anything with named layers: a LayersModel, or a model nested in one as a layer. */
interface LayerContainer {
  getLayer(name: string): tf.layers.Layer;
}

/**
 * Serialises a LayersModel to in-memory artifacts (topology, weight specs, weight data), the same
 * thing `model.save` hands to an IO handler, but complete: TF.js 4.x leaves SeparableConv2D's
 * `depth_multiplier` out of the topology, so it is put back from the live layers (also in models
 * nested as layers). The artifacts own their weight data (one new ArrayBuffer) and share nothing
 * with the model; optimizer state is not included. Creates no tensors.
 *
 * @example
 * ```ts
 * import { modelFromArtifacts, modelToArtifacts } from 'tfjs-prune';
 *
 * const artifacts = await modelToArtifacts(model);
 * const copy = await modelFromArtifacts(artifacts); // same predictions as `model`
 * ```
 */
export async function modelToArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  assertLayersModel(model, 'model');
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (saved === undefined) {
    throw new PruneError('INTERNAL', `model.save() of '${model.name}' returned without handing over any artifacts.`);
  }
  const artifacts = copyArtifacts(saved);
  const topology = artifacts.modelTopology as { config?: { layers?: TopologyLayer[] } };
  restoreDepthMultipliers(topology.config?.layers ?? [], model);
  return artifacts;
}

/** Writes each SeparableConv2D's live `depthMultiplier` into its topology entry, recursing into nested models. */
function restoreDepthMultipliers(entries: TopologyLayer[], container: LayerContainer): void {
  for (const entry of entries) {
    const name = entry.config?.name;
    if (typeof name !== 'string') continue;
    if (entry.class_name === 'SeparableConv2D') {
      const { depthMultiplier } = layerConfig(container.getLayer(name));
      if (typeof depthMultiplier === 'number') entry.config.depth_multiplier = depthMultiplier;
    } else if (Array.isArray(entry.config.layers)) {
      restoreDepthMultipliers(entry.config.layers, container.getLayer(name) as unknown as LayerContainer);
    }
  }
}

/**
 * Builds a new LayersModel from artifacts made by {@link modelToArtifacts} (or read from a
 * `model.json` + weights): the reverse of `modelToArtifacts`. The artifacts are not modified and
 * can be used again. A compiled model's training config, when the artifacts carry one, compiles
 * the new model too; otherwise it is uncompiled. Bad artifacts (missing or cut-short weights,
 * weights of other shapes) throw a PruneError('CHECKPOINT_INVALID'), a layer class that is not
 * registered throws PruneError('UNREGISTERED_LAYER'); either way no tensor is left behind.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { modelFromArtifacts, modelToArtifacts } from 'tfjs-prune';
 *
 * const artifacts = await modelToArtifacts(model);
 * const copy = await modelFromArtifacts(artifacts); // same topology and weights, its own variables
 * copy.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
 * ```
 */
export async function modelFromArtifacts(artifacts: tf.io.ModelArtifacts): Promise<tf.LayersModel> {
  validateArtifacts(artifacts, 'artifacts');
  const specs = artifacts.weightSpecs as tf.io.WeightsManifestEntry[];
  // Build first (without weights), then load the weights ourselves: tf.loadLayersModel would
  // leave the model's variables and the decoded weights behind when the weights do not fit.
  // Unknown layer classes are found up front too: TF.js would fail half-way, leaving the
  // variables of the layers it had built.
  const topology = artifacts.modelTopology as { model_config?: TopologyLayer } & Partial<TopologyLayer>;
  assertRegistered((topology.model_config ?? topology).config?.layers ?? []);
  const { weightSpecs: _specs, weightData: _data, getWeightStream: _stream, ...rest } = artifacts;
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(tf.io.fromMemory(copyArtifacts(rest)));
  } catch (e) {
    throw new PruneError('CHECKPOINT_INVALID', `The artifacts' topology does not describe a model TF.js can build: ${(e as Error).message ?? String(e)}`);
  }
  try {
    const modelSpecs = specs.filter((spec) => spec.group !== 'optimizer');
    const weights = tf.tidy(() => {
      // One buffer: TF.js 4.x's CompositeArrayBuffer mis-slices shards whose last one is the longest.
      const data = artifacts.weightData as tf.io.WeightData;
      const all = tf.io.decodeWeights(isArrayBuffer(data) ? data : copyWeightData(data), specs);
      const kept: tf.NamedTensorMap = {};
      for (const spec of modelSpecs) kept[spec.name] = all[spec.name];
      return kept;
    });
    try {
      model.loadWeights(weights, true);
    } finally {
      tf.dispose(weights);
    }
  } catch (e) {
    model.dispose();
    throw new PruneError(
      'CHECKPOINT_INVALID',
      `The weights in the artifacts do not fit the model their topology describes (${(e as Error).message}). ` +
        'If the model has SeparableConv2D layers with depthMultiplier > 1 and was saved with model.save(), TF.js 4.x lost the depth multiplier: save it with modelToArtifacts(model) instead.',
    );
  }
  return model;
}

/** Throws PruneError('UNREGISTERED_LAYER') for the first layer class (also in nested models) TF.js cannot deserialize. */
function assertRegistered(entries: TopologyLayer[]): void {
  const registered = tf.serialization.SerializationMap.getMap().classNameMap;
  for (const entry of entries) {
    if (!(entry.class_name in registered)) {
      throw new PruneError(
        'UNREGISTERED_LAYER',
        `The artifacts' topology uses the layer class '${entry.class_name}' (layer '${String(entry.config?.name)}'), which is not registered with TF.js. ` +
          'Register it with tf.serialization.registerClass(YourLayer) before loading the model.',
      );
    }
    if (Array.isArray(entry.config?.layers)) assertRegistered(entry.config.layers);
  }
}
