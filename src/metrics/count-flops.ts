import type * as tf from '@tensorflow/tfjs';
import { PruneError } from '../errors';
import { assertLayersModel } from '../model/assert-layers-model';
import { resolveInputShape, type InputShape } from './input-shape';
import { layerMacs } from './layer-macs';
import { modelNodes, shapeList, type Dims } from './model-nodes';
import { nodeShapesAt, type NodeShapes } from './node-shapes';

/**
 * Options of {@link countFlops}.
 *
 * @example
 * ```ts
 * // A fully convolutional model (input [null, null, null, 3]) counted at 128x128 pixels.
 * const options: CountFlopsOptions = { inputShape: [128, 128, 3] };
 * const { total } = countFlops(model, options);
 * ```
 */
export interface CountFlopsOptions {
  /**
   * The shape of one example (no batch axis) to count at, for models whose input size is not
   * fixed (`[null, null, null, 3]`); one shape per input for multi-input models. Sizes the model
   * fixes must match. Default: the model's own input shapes (layers whose size is then unknown
   * are listed in `notCounted`).
   */
  inputShape?: InputShape;
}

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
 * A model whose input size is not fixed (`[null, null, null, 3]`, e.g. a super-resolution or
 * segmentation network) has no size to count at: pass `options.inputShape`, and the shapes are
 * propagated from it through every layer (each layer's `computeOutputShape`); without it, its
 * layers are listed in `notCounted`.
 *
 * @param model A built `tf.LayersModel` (Sequential or functional).
 * @param options `inputShape`: the example shape to count at; see {@link CountFlopsOptions}.
 * @returns The total, a per-layer breakdown keyed by layer name, and the layers not counted.
 * @throws PruneError `NOT_A_LAYERS_MODEL` if `model` is not a LayersModel, `MODEL_NOT_BUILT` if
 *   it has no inputs or outputs yet, `INVALID_LAYER_RULE` if a custom layer's `flops()` throws or
 *   returns something other than a finite number >= 0, `INVALID_OPTION` for an `inputShape` that
 *   does not fit the model's inputs.
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
export function countFlops(model: tf.LayersModel, options: CountFlopsOptions = {}): CountFlopsResult {
  assertLayersModel(model, 'model');
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new PruneError('INVALID_OPTION', `countFlops: options must be an object like { inputShape: [64, 64, 3] }; got ${options === null ? 'null' : typeof options}.`);
  }
  const unknown = Object.keys(options).filter((k) => k !== 'inputShape');
  if (unknown.length > 0) throw new PruneError('INVALID_OPTION', `countFlops: unknown option(s) ${unknown.join(', ')}; the only option is inputShape.`);
  if (options.inputShape === undefined) return countModel(model, new Map(), null);
  const shapes = resolveInputShape(model, options.inputShape, 'countFlops').map((s): Dims => [null, ...s]);
  return countModel(model, new Map(), shapes);
}

/** A LayersModel used as a layer of another model (Sequential or functional). */
function isNestedModel(layer: tf.layers.Layer): layer is tf.LayersModel {
  const candidate = layer as unknown as { layers?: unknown; inputs?: unknown; outputs?: unknown };
  return Array.isArray(candidate.layers) && Array.isArray(candidate.inputs) && Array.isArray(candidate.outputs);
}

/**
 * Counts `model`; with `inputs` (shapes of the model's inputs, batch axis first), the shapes of
 * every layer are propagated from them instead of read from the graph. Nested models are counted
 * once per distinct input shape (`cache`, keyed by model and shapes).
 */
function countModel(model: tf.LayersModel, cache: Map<string, { model: tf.LayersModel; result: CountFlopsResult }[]>, inputs: Dims[] | null): CountFlopsResult {
  const macsByLayer = new Map<tf.layers.Layer, number>();
  const uncounted = new Set<tf.layers.Layer>();
  const propagated = inputs === null ? null : nodeShapesAt(model, inputs);
  const innerResults = new Map<tf.layers.Layer, CountFlopsResult>();
  for (const node of modelNodes(model)) {
    const layer = node.outboundLayer;
    const shapes: NodeShapes = propagated?.get(node) ?? { inputShapes: shapeList(node.inputShapes), outputShapes: shapeList(node.outputShapes) };
    let macs: number;
    if (isNestedModel(layer)) {
      const key = inputs === null ? '' : JSON.stringify(shapes.inputShapes);
      const entries = cache.get(key) ?? [];
      let inner = entries.find((e) => e.model === layer)?.result;
      if (inner === undefined) {
        inner = countModel(layer, cache, inputs === null ? null : shapes.inputShapes);
        entries.push({ model: layer, result: inner });
        cache.set(key, entries);
      }
      innerResults.set(layer, inner);
      macs = inner.total;
    } else {
      const counted = layerMacs(layer, shapes.inputShapes, shapes.outputShapes);
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
    const inner = innerResults.get(layer);
    if (inner !== undefined) notCounted.push(...inner.notCounted.map((name) => `${layer.name}/${name}`));
  }
  return { total, perLayer: Object.fromEntries(perLayer), notCounted };
}
