import * as tf from '@tensorflow/tfjs';
import { match, P } from 'ts-pattern';
import { PruneError } from '../errors';

/** A weight of a layer with its short name (`kernel`, `bias`, `gamma`, `depthwise_kernel`...). */
export interface NamedWeight {
  readonly name: string;
  readonly value: tf.Tensor;
}

/** Which positions of a layer's input and output channel axes survive (`null`: all). */
export interface KeptChannels {
  readonly input: Int32Array | null;
  readonly output: Int32Array | null;
}

/** The edit surgery makes to one layer. */
export interface LayerSlice {
  /** Config fields to overwrite, e.g. `{ units: 12 }`. */
  readonly config: Record<string, unknown>;
  /** New weights in the layer's weight order; new tensors or the input ones when unchanged. */
  readonly weights: tf.Tensor[];
}

/** Gathers `indices` along `axis`; returns `t` itself when nothing is removed. */
function take(t: tf.Tensor, indices: Int32Array | null, axis: number): tf.Tensor {
  return indices === null ? t : tf.gather(t, tf.tensor1d(indices, 'int32'), axis);
}

/** Channel `c` of a depthwise input becomes `c*m .. c*m+m-1`. */
function expand(indices: Int32Array | null, m: number): Int32Array | null {
  if (indices === null) return null;
  const out = new Int32Array(indices.length * m);
  indices.forEach((c, i) => {
    for (let j = 0; j < m; j++) out[i * m + j] = c * m + j;
  });
  return out;
}

function sliceWeights(weights: NamedWeight[], rule: (w: NamedWeight) => tf.Tensor): tf.Tensor[] {
  return weights.map(rule);
}

function unexpected(className: string, layerName: string, what: string): never {
  throw new PruneError('INTERNAL', `Surgery reached layer '${layerName}' (${className}) with an unexpected ${what}.`);
}

/**
 * Slices one layer's weights and edits its config for the kept input and output channels.
 * Dispatches on the Keras class name; layers without channel-shaped weights are left as they are.
 * Runs inside `tf.tidy`: the returned new tensors are owned by the caller.
 */
export function sliceLayer(
  className: string,
  layerName: string,
  config: Record<string, unknown>,
  weights: NamedWeight[],
  keep: KeptChannels,
): LayerSlice {
  const { input, output } = keep;
  if (input === null && output === null) return { config: {}, weights: weights.map((w) => w.value) };
  let edited: Record<string, unknown> = {};
  const sliced = tf.tidy(() => {
    const result = match(className)
      .with('Dense', (): LayerSlice => ({
        config: output ? { units: output.length } : {},
        weights: sliceWeights(weights, (w) =>
          w.name === 'kernel' ? take(take(w.value, input, 0), output, 1) : take(w.value, output, 0),
        ),
      }))
      .with(P.union('Conv1D', 'Conv2D', 'Conv3D'), (): LayerSlice => ({
        config: output ? { filters: output.length } : {},
        weights: sliceWeights(weights, (w) => {
          const r = w.value.rank;
          return w.name === 'kernel' ? take(take(w.value, input, r - 2), output, r - 1) : take(w.value, output, 0);
        }),
      }))
      .with('Conv2DTranspose', (): LayerSlice => ({
        // Kernel layout is [kh, kw, outChannels, inChannels].
        config: output ? { filters: output.length } : {},
        weights: sliceWeights(weights, (w) =>
          w.name === 'kernel' ? take(take(w.value, output, 2), input, 3) : take(w.value, output, 0),
        ),
      }))
      .with('SeparableConv2D', (): LayerSlice => {
        const m = Number(config.depthMultiplier ?? 1);
        return {
          config: output ? { filters: output.length } : {},
          weights: sliceWeights(weights, (w) =>
            match(w.name)
              .with('depthwise_kernel', () => take(w.value, input, 2))
              .with('pointwise_kernel', () => take(take(w.value, expand(input, m), 2), output, 3))
              .with('bias', () => take(w.value, output, 0))
              .otherwise(() => unexpected(className, layerName, `weight '${w.name}'`)),
          ),
        };
      })
      .with('DepthwiseConv2D', (): LayerSlice => ({
        config: {},
        weights: sliceWeights(weights, (w) =>
          w.name === 'depthwise_kernel' ? take(w.value, input, 2) : take(w.value, output, 0),
        ),
      }))
      .with('BatchNormalization', (): LayerSlice => ({
        // gamma (absent with scale: false), beta (absent with center: false), moving mean, variance.
        config: {},
        weights: sliceWeights(weights, (w) => take(w.value, input, 0)),
      }))
      .with('PReLU', (): LayerSlice => ({
        // alpha has the input's shape without the batch axis; a shared channel axis has size 1.
        config: {},
        weights: sliceWeights(weights, (w) => {
          const last = w.value.rank - 1;
          return w.value.shape[last] === 1 ? w.value : take(w.value, input, last);
        }),
      }))
      .with('Embedding', (): LayerSlice => ({
        config: output ? { outputDim: output.length } : {},
        weights: sliceWeights(weights, (w) => take(w.value, output, 1)),
      }))
      .otherwise((): LayerSlice => {
        if (weights.length > 0) unexpected(className, layerName, 'channel removal (it has weights but no surgery rule)');
        return { config: {}, weights: [] };
      });
    edited = result.config;
    return result.weights;
  });
  return { config: edited, weights: sliced };
}
