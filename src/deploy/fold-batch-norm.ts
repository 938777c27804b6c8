import * as tf from '@tensorflow/tfjs';
import { buildLayerGraph, type GraphNode } from '../graph/layer-graph';
import { assertLayersModel } from '../model/assert-layers-model';
import { layerConfig } from '../model/layer-config';
import { weightShortName } from '../model/weight-short-name';
import { rebuildModel, type ModelConfig } from '../surgery/rebuild-model';

/**
 * What {@link foldBatchNorm} returns: the new model, which BatchNormalization layers went into
 * which layer, and the ones left in place with the reason.
 *
 * @example
 * ```ts
 * const { model: folded, folded: merged, unfolded }: FoldBatchNormResult = foldBatchNorm(model);
 * for (const u of unfolded) console.warn(`${u.layer} kept: ${u.reason}`);
 * ```
 */
export interface FoldBatchNormResult {
  /** A new, uncompiled model without the folded BatchNormalization layers. You own it. */
  model: tf.LayersModel;
  /** Each folded BatchNormalization layer and the layer whose kernel and bias absorbed it. */
  folded: Array<{ batchNorm: string; into: string }>;
  /** Each BatchNormalization layer left in the model, and why it could not be folded. */
  unfolded: Array<{ layer: string; reason: string }>;
}

/** Where a producer's output channel sits in each of its weights. */
type ChannelOf = (flatIndex: number, shape: number[]) => number;

const lastAxis: ChannelOf = (i, shape) => i % shape[shape.length - 1];
/** Conv2DTranspose kernels are `[kh, kw, filters, inChannels]`. */
const secondToLast: ChannelOf = (i, shape) => Math.floor(i / shape[shape.length - 1]) % shape[shape.length - 2];
/** DepthwiseConv2D kernels are `[kh, kw, in, m]`; output channel `c*m + j` is `[.., c, j]`. */
const depthwise: ChannelOf = (i, shape) => i % (shape[shape.length - 2] * shape[shape.length - 1]);

/** The layers a BatchNormalization can fold into, and the weight that carries the output channels. */
const FOLDABLE: Record<string, { kernel: string; channelOf: ChannelOf }> = {
  Dense: { kernel: 'kernel', channelOf: lastAxis },
  Conv1D: { kernel: 'kernel', channelOf: lastAxis },
  Conv2D: { kernel: 'kernel', channelOf: lastAxis },
  Conv3D: { kernel: 'kernel', channelOf: lastAxis },
  Conv2DTranspose: { kernel: 'kernel', channelOf: secondToLast },
  DepthwiseConv2D: { kernel: 'depthwise_kernel', channelOf: depthwise },
  SeparableConv2D: { kernel: 'pointwise_kernel', channelOf: lastAxis },
};
const FOLDABLE_NAMES = 'Conv1D, Conv2D, Conv3D, DepthwiseConv2D, SeparableConv2D, Conv2DTranspose or Dense';
const NESTED = new Set(['Sequential', 'Model', 'Functional']);

interface Fold {
  bn: GraphNode;
  producer: GraphNode;
}

/** Why `bn` cannot be folded into the layer before it, or the fold. */
function planFold(bn: GraphNode, writer: Map<string, GraphNode>, readers: Map<string, GraphNode[]>, outputs: Set<string>): Fold | string {
  if (bn.callCount > 1) return `it is shared (applied ${bn.callCount} times), so no single layer before it can absorb it`;
  const producer = writer.get(bn.inputs[0]);
  if (producer === undefined || producer.className === 'InputLayer') return 'it normalises a model input: there is no layer before it to absorb it';
  const rule = FOLDABLE[producer.className];
  if (rule === undefined) return `it follows a ${producer.className} ('${producer.name}'), not a ${FOLDABLE_NAMES}`;
  if (producer.callCount > 1) return `the layer before it, '${producer.name}', is shared (applied ${producer.callCount} times)`;
  const others = (readers.get(bn.inputs[0]) ?? []).filter((n) => n !== bn).map((n) => `'${n.name}'`);
  if (outputs.has(bn.inputs[0])) others.push('a model output');
  if (others.length > 0) return `the output of '${producer.name}' is also read by ${others.join(', ')}, which must see it unnormalised`;
  const config = layerConfig(producer.layer);
  const activation = config.activation ?? 'linear';
  if (activation !== 'linear') return `'${producer.name}' applies activation '${String(activation)}' before it`;
  if (config.dataFormat === 'channelsFirst') {
    return `'${producer.name}' writes channels first, and TF.js's BatchNormalization applies its statistics along the last axis in inference whatever its axis, so a fold would change the output`;
  }
  const rank = bn.inputShapes[0].length;
  const rawAxis = layerConfig(bn.layer).axis as number;
  if (rawAxis !== -1 && rawAxis !== rank - 1) return `it normalises axis ${rawAxis}, not the channel axis (${rank - 1}) of '${producer.name}'`;
  const dtypes = [...producer.layer.weights, ...bn.layer.weights].map((w) => w.dtype);
  if (dtypes.some((d) => d !== 'float32')) return `its weights or those of '${producer.name}' are not float32`;
  return { bn, producer };
}

/** The producer's weights with the BatchNormalization merged in, in the rebuilt layer's order (bias last). */
function foldedWeights({ bn, producer }: Fold): tf.Tensor[] {
  const bnWeights = bn.layer.getWeights();
  const bnValues = new Map(bn.layer.weights.map((w, i) => [weightShortName(w), bnWeights[i]]));
  const moments = { mean: bnValues.get('moving_mean')!.dataSync(), variance: bnValues.get('moving_variance')!.dataSync() };
  const gamma = bnValues.get('gamma')?.dataSync();
  const beta = bnValues.get('beta')?.dataSync();
  const epsilon = layerConfig(bn.layer).epsilon as number;
  const channels = moments.mean.length;
  // y = gamma * (x - mean) / sqrt(var + eps) + beta = scale * x + shift, in float64.
  const scale = new Float64Array(channels);
  const shift = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    scale[c] = (gamma ? gamma[c] : 1) / Math.sqrt(moments.variance[c] + epsilon);
    shift[c] = (beta ? beta[c] : 0) - moments.mean[c] * scale[c];
  }
  const rule = FOLDABLE[producer.className];
  const values = producer.layer.getWeights();
  const out: tf.Tensor[] = [];
  let bias: tf.Tensor | null = null;
  producer.layer.weights.forEach((w, i) => {
    const name = weightShortName(w);
    if (name === rule.kernel) {
      const k = values[i].dataSync();
      const folded = new Float32Array(k.length);
      for (let j = 0; j < k.length; j++) folded[j] = k[j] * scale[rule.channelOf(j, values[i].shape)];
      out.push(tf.tensor(folded, values[i].shape, 'float32'));
    } else if (name === 'bias') {
      const b = values[i].dataSync();
      bias = tf.tensor(Float32Array.from(b, (v, c) => v * scale[c] + shift[c]), values[i].shape, 'float32');
    } else {
      out.push(tf.clone(values[i]));
    }
  });
  out.push(bias ?? tf.tensor(Float32Array.from(shift), [channels], 'float32'));
  return out;
}

/** Removes the folded BatchNormalization layers from a model config, rewiring their readers to the producer. */
function removeFromConfig(config: ModelConfig, folds: Fold[]): void {
  const removed = new Set(folds.map((f) => f.bn.name));
  type Entry = ModelConfig['layers'][number] & { inboundNodes?: unknown[][][] };
  const entries = config.layers as Entry[];
  // Each folded BN is called once: its readers refer to it as [name, 0, 0, kwargs]; they read its input instead.
  const replacement = new Map<string, unknown[]>();
  for (const e of entries) {
    if (removed.has(e.config.name as string) && e.inboundNodes) replacement.set(e.config.name as string, e.inboundNodes[0][0]);
  }
  const rewire = (ref: unknown[]): unknown[] => {
    const to = replacement.get(ref[0] as string);
    return to ? [to[0], to[1], to[2], ...ref.slice(3)] : ref;
  };
  config.layers = entries.filter((e) => !removed.has(e.config.name as string));
  for (const e of config.layers as Entry[]) {
    if (e.inboundNodes) e.inboundNodes = e.inboundNodes.map((node) => node.map(rewire));
  }
  if (Array.isArray(config.outputLayers)) config.outputLayers = (config.outputLayers as unknown[][]).map(rewire);
}

/**
 * Folds every BatchNormalization that directly follows a Conv1D/2D/3D, DepthwiseConv2D,
 * SeparableConv2D (into its pointwise kernel), Conv2DTranspose or Dense into that layer's kernel
 * and bias, with the BatchNormalization's inference statistics (moving mean and variance):
 * `kernel' = kernel * s`, `bias' = (bias - mean) * s + beta` with `s = gamma / sqrt(var + eps)`.
 * The folded BatchNormalization layers are removed; every other layer (activations included)
 * stays where it was. In inference, the new model computes what the input model computes, to
 * float32 rounding; it is one kernel per folded layer lighter, saves and loads as an ordinary
 * TF.js model, and is not compiled.
 *
 * A BatchNormalization is left in place, and listed in `unfolded` with the reason, when the
 * layer before it is not one of those (an Add, a pooling layer, a model input...), when that
 * layer applies a non-linear activation of its own, when its raw output has another reader, when
 * either layer is shared, when it does not normalise the last (channel) axis, when the layer
 * before it is `channelsFirst`, or when it sits inside a nested model. The input model is only read.
 *
 * Use it on a model you have finished training: the folded model has no BatchNormalization to
 * fine-tune.
 *
 * @param model A built `tf.LayersModel`.
 * @returns The new model, the folds done, and the BatchNormalization layers kept with reasons.
 * @throws PruneError `NOT_A_LAYERS_MODEL` or `MODEL_NOT_BUILT` for a bad model;
 *   `UNREGISTERED_LAYER` when a custom layer class cannot be rebuilt.
 *
 * @example
 * ```ts
 * import { foldBatchNorm } from 'tfjs-prune';
 *
 * const { model: folded, unfolded } = foldBatchNorm(model);
 * console.log(`${unfolded.length} BatchNormalization layers could not be folded`);
 * const y = folded.predict(xVal) as tf.Tensor; // equals model.predict(xVal) to float rounding
 * ```
 */
export function foldBatchNorm(model: tf.LayersModel): FoldBatchNormResult {
  assertLayersModel(model, 'model');
  const graph = buildLayerGraph(model);
  const writer = new Map<string, GraphNode>();
  const readers = new Map<string, GraphNode[]>();
  for (const n of graph.nodes) {
    n.outputs.forEach((k) => writer.set(k, n));
    n.inputs.forEach((k) => readers.set(k, [...(readers.get(k) ?? []), n]));
  }
  const folds: Fold[] = [];
  const unfolded: FoldBatchNormResult['unfolded'] = [];
  const seen = new Set<string>();
  for (const n of graph.nodes) {
    if (NESTED.has(n.className)) {
      for (const inner of (n.layer as unknown as tf.LayersModel).layers) {
        if (inner.getClassName() === 'BatchNormalization') {
          unfolded.push({ layer: `${n.name}/${inner.name}`, reason: `it is inside the nested model '${n.name}'; nested models are not folded` });
        }
      }
    }
    if (n.className !== 'BatchNormalization' || seen.has(n.name)) continue;
    seen.add(n.name);
    const plan = planFold(n, writer, readers, graph.outputs);
    if (typeof plan === 'string') unfolded.push({ layer: n.name, reason: plan });
    else folds.push(plan);
  }
  // A BN whose producer is itself a folded BN's producer cannot happen (one reader each), so folds are independent.
  const weights = new Map<string, tf.Tensor[]>();
  const patches = new Map<string, Record<string, unknown>>();
  try {
    for (const f of folds) {
      weights.set(f.producer.name, foldedWeights(f));
      patches.set(f.producer.name, { useBias: true });
    }
    const rebuilt = rebuildModel(model, patches, (layer) => weights.get(layer.name) ?? layer.getWeights(), (config) => removeFromConfig(config, folds));
    return { model: rebuilt, folded: folds.map((f) => ({ batchNorm: f.bn.name, into: f.producer.name })), unfolded };
  } finally {
    for (const ts of weights.values()) tf.dispose(ts);
  }
}
