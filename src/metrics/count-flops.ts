import type * as tf from '@tensorflow/tfjs';
import { assertLayersModel } from '../model/assert-layers-model';
import { layerMacs } from './layer-macs';
import { modelNodes, shapeList } from './model-nodes';

/**
 * What {@link countFlops} returns. All counts are multiply-accumulates for one example.
 *
 * @example
 * ```ts
 * const { total, perLayer, notCounted }: CountFlopsResult = countFlops(model);
 * if (notCounted.length > 0) console.warn(`total is a lower bound: ${notCounted.join(', ')} not counted`);
 * const heaviest = Object.keys(perLayer).sort((a, b) => perLayer[b] - perLayer[a])[0];
 * console.log(`${heaviest}: ${((100 * perLayer[heaviest]) / total).toFixed(1)}% of the MACs`);
 * ```
 */
export interface CountFlopsResult {
  /** MACs of one forward pass of one example (batch 1) through the whole model. */
  total: number;
  /**
   * MACs per layer, keyed by layer name, for every layer of `model.layers` (0 for layers that do
   * no MAC work or could not be counted). A layer applied several times holds the sum over its
   * applications; a nested model used as a layer holds the MACs of everything inside it.
   */
  perLayer: Record<string, number>;
  /**
   * Layers whose MACs could not be counted and are left out of `total`, in model order: layers of
   * a class this library does not know (custom layers without a `flops()` method, attention...), RNNs with an unknown cell,
   * and layers with a size that is not known statically (a `null` dimension other than the batch,
   * e.g. variable-length sequences). Layers inside a nested model appear as `outer/inner`.
   * When this is not empty, `total` is a lower bound.
   */
  notCounted: string[];
}

/**
 * Counts the compute of one forward pass of ONE example through a `tf.LayersModel`, as
 * multiply-accumulates (MACs; 1 MAC = one multiplication plus one addition, so "FLOPs" in the
 * 2-per-MAC sense is `2 * total`). Shapes come from the model's own graph (each layer
 * application's input and output shapes), so nothing runs and no tensor is created. A layer
 * applied several times counts once per application; nested models are counted through.
 *
 * Rules per layer type (batch axis ignored; `P` = output spatial positions, `K` = kernel
 * volume, `Cin`/`Cout` = input/output channels, honouring `dataFormat: 'channelsFirst'`):
 * - Dense: `inputUnits * units` per output position (Dense on rank > 2 input multiplies by the
 *   product of the middle axes). Bias adds are not counted.
 * - Conv1D / Conv2D / Conv3D: `P * K * Cin * filters` (bias not counted; dilation changes nothing).
 * - Conv2DTranspose / Conv3DTranspose: `inputPositions * K * Cin * filters`.
 * - DepthwiseConv2D: `P * K * Cin * depthMultiplier`.
 * - SeparableConv2D: depthwise `P * K * Cin * m` plus pointwise `P * Cin * m * filters`.
 * - BatchNormalization, LayerNormalization: 1 MAC per output element (the scale and shift;
 *   LayerNormalization's mean and variance are not counted).
 * - Dot: output elements times the contracted axis size.
 * - SimpleRNN / GRU / LSTM (and `tf.layers.rnn` over their cells, stacked cells included):
 *   `timesteps * gates * (inputDim + units) * units`, gates 1 / 3 / 4. Bidirectional: twice the
 *   wrapped RNN. ConvLSTM2D: `timesteps * 4 * P * K * (Cin + filters) * filters`.
 *   TimeDistributed: timesteps times the wrapped layer.
 * - Embedding (a lookup), activations, pooling, merges (Add, Concatenate...), reshapes, dropout,
 *   noise, padding, cropping and resizing: 0.
 * - A custom layer with a `flops(inputShapes, outputShapes)` method ({@link PrunableLayer}): what
 *   it returns.
 * - Anything else (custom layers without `flops()`...): 0 and listed in `notCounted`.
 *
 * @param model A built `tf.LayersModel` (Sequential or functional).
 * @returns The total, a per-layer breakdown keyed by layer name, and the layers not counted.
 * @throws PruneError `NOT_A_LAYERS_MODEL` if `model` is not a LayersModel, `MODEL_NOT_BUILT` if
 *   it has no inputs or outputs yet, `INVALID_LAYER_RULE` if a custom layer's `flops()` throws or
 *   returns something other than a finite number >= 0.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { countFlops } from 'tfjs-prune';
 *
 * const model = tf.sequential({
 *   layers: [
 *     tf.layers.conv2d({ inputShape: [6, 6, 3], filters: 8, kernelSize: 3, padding: 'same' }),
 *     tf.layers.flatten(),
 *     tf.layers.dense({ units: 10 }),
 *   ],
 * });
 * const { total, perLayer, notCounted } = countFlops(model);
 * // conv: 6*6 positions * 3*3*3 * 8 = 7776; dense: 288 * 10 = 2880; total === 10656
 * ```
 */
export function countFlops(model: tf.LayersModel): CountFlopsResult {
  assertLayersModel(model, 'model');
  return countModel(model, new Map());
}

/** A LayersModel used as a layer of another model (Sequential or functional). */
function isNestedModel(layer: tf.layers.Layer): layer is tf.LayersModel {
  const candidate = layer as unknown as { layers?: unknown; inputs?: unknown; outputs?: unknown };
  return Array.isArray(candidate.layers) && Array.isArray(candidate.inputs) && Array.isArray(candidate.outputs);
}

function countModel(model: tf.LayersModel, cache: Map<tf.LayersModel, CountFlopsResult>): CountFlopsResult {
  const macsByLayer = new Map<tf.layers.Layer, number>();
  const uncounted = new Set<tf.layers.Layer>();
  for (const node of modelNodes(model)) {
    const layer = node.outboundLayer;
    let macs: number;
    if (isNestedModel(layer)) {
      let inner = cache.get(layer);
      if (inner === undefined) {
        inner = countModel(layer, cache);
        cache.set(layer, inner);
      }
      macs = inner.total;
    } else {
      const counted = layerMacs(layer, shapeList(node.inputShapes), shapeList(node.outputShapes));
      if (counted === null) uncounted.add(layer);
      macs = counted ?? 0;
    }
    macsByLayer.set(layer, (macsByLayer.get(layer) ?? 0) + macs);
  }

  const perLayer: Array<[string, number]> = [];
  const notCounted: string[] = [];
  let total = 0;
  for (const layer of model.layers) {
    const macs = macsByLayer.get(layer) ?? 0;
    perLayer.push([layer.name, macs]);
    total += macs;
    if (uncounted.has(layer)) notCounted.push(layer.name);
    const inner = isNestedModel(layer) ? cache.get(layer) : undefined;
    if (inner !== undefined) notCounted.push(...inner.notCounted.map((name) => `${layer.name}/${name}`));
  }
  return { total, perLayer: Object.fromEntries(perLayer), notCounted };
}
