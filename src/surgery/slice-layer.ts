import * as tf from '@tensorflow/tfjs';
import { match, P } from 'ts-pattern';
import { PruneError } from '../errors';
import type { CustomSurgery } from '../graph/custom-channel-rule';
import { takeAlongAxis, type HostArray } from './take-along-axis';

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
  /** New weights in the layer's weight order: new tensors, or the input ones when unchanged. */
  readonly weights: tf.Tensor[];
}

/** Kept indices along one axis of a weight (`null` indices: the axis is untouched). */
type Cut = readonly [indices: Int32Array | null, axis: number];

/** Channel `c` of a depthwise input becomes `c*m .. c*m+m-1`. */
function expand(indices: Int32Array | null, m: number): Int32Array | null {
  if (indices === null) return null;
  const out = new Int32Array(indices.length * m);
  indices.forEach((c, i) => {
    for (let j = 0; j < m; j++) out[i * m + j] = c * m + j;
  });
  return out;
}

/** Applies the cuts to a weight; returns the weight itself when no cut removes anything. */
function applyCuts(w: tf.Tensor, cuts: Cut[]): tf.Tensor {
  const active = cuts.filter(([indices]) => indices !== null) as Array<readonly [Int32Array, number]>;
  if (active.length === 0) return w;
  let host: HostArray = { values: w.dataSync() as HostArray['values'], shape: w.shape };
  for (const [indices, axis] of active) host = takeAlongAxis(host, indices, axis);
  return tf.tensor(host.values, host.shape, w.dtype);
}

/**
 * A custom layer's edit, from the weight axes it declared (see PrunableLayer): each weight is cut
 * on its input and output channel axes, and a producer's size field gets the kept count.
 */
function sliceCustomLayer(custom: CustomSurgery, layerName: string, className: string, weights: NamedWeight[], keep: KeptChannels): LayerSlice {
  if (custom.weights.length !== weights.length) {
    throw new PruneError('INTERNAL', `Surgery reached layer '${layerName}' (${className}) with ${weights.length} weights but its rule describes ${custom.weights.length}.`);
  }
  const { input, output } = keep;
  const config = custom.sizeField !== null && output ? { [custom.sizeField]: output.length } : {};
  const cuts = (axes: CustomSurgery['weights'][number]): Cut[] => {
    const out: Cut[] = [];
    if (axes.input !== null) out.push([input, axes.input]);
    if (axes.output !== null) out.push([output, axes.output]);
    return out;
  };
  return { config, weights: weights.map((w, i) => applyCuts(w.value, cuts(custom.weights[i]))) };
}

/**
 * Slices one layer's weights and edits its config for the kept input and output channels.
 * Dispatches on the Keras class name (or, for a custom layer, on the weight axes it declared:
 * `custom`); layers without channel-shaped weights are left as they are.
 * Returned tensors that are not among the inputs are new and owned by the caller.
 */
export function sliceLayer(
  className: string,
  layerName: string,
  config: Record<string, unknown>,
  weights: NamedWeight[],
  keep: KeptChannels,
  custom?: CustomSurgery,
): LayerSlice {
  if (custom) return sliceCustomLayer(custom, layerName, className, weights, keep);
  const { input, output } = keep;
  const unexpected = (what: string): never => {
    throw new PruneError('INTERNAL', `Surgery reached layer '${layerName}' (${className}) with an unexpected ${what}.`);
  };
  const resize = (field: string): Record<string, unknown> => (output ? { [field]: output.length } : {});

  // Per layer family: the config edit and, per weight, the axes to cut.
  const [edit, cutsFor] = match(className)
    .with('Dense', () => [resize('units'), (w: NamedWeight): Cut[] => (w.name === 'kernel' ? [[input, 0], [output, 1]] : [[output, 0]])] as const)
    .with(P.union('Conv1D', 'Conv2D', 'Conv3D'), () => [
      resize('filters'),
      (w: NamedWeight): Cut[] => {
        // Kernel layout [...spatial, in, out].
        const r = w.value.rank;
        return w.name === 'kernel' ? [[input, r - 2], [output, r - 1]] : [[output, 0]];
      },
    ] as const)
    .with('Conv2DTranspose', () => [
      resize('filters'),
      // Kernel layout [kh, kw, out, in].
      (w: NamedWeight): Cut[] => (w.name === 'kernel' ? [[output, 2], [input, 3]] : [[output, 0]]),
    ] as const)
    .with('SeparableConv2D', () => {
      const m = Number(config.depthMultiplier ?? 1);
      return [
        resize('filters'),
        (w: NamedWeight): Cut[] =>
          match(w.name)
            .with('depthwise_kernel', (): Cut[] => [[input, 2]])
            .with('pointwise_kernel', (): Cut[] => [[expand(input, m), 2], [output, 3]])
            .with('bias', (): Cut[] => [[output, 0]])
            .otherwise(() => unexpected(`weight '${w.name}'`)),
      ] as const;
    })
    .with('DepthwiseConv2D', () => [
      {},
      (w: NamedWeight): Cut[] => (w.name === 'depthwise_kernel' ? [[input, 2]] : [[output, 0]]),
    ] as const)
    // gamma (absent with scale: false), beta (absent with center: false), moving mean and variance.
    .with('BatchNormalization', () => [{}, (): Cut[] => [[input, 0]]] as const)
    // alpha has the input's shape without the batch axis; a shared channel axis has size 1.
    .with('PReLU', () => [
      {},
      (w: NamedWeight): Cut[] => (w.value.shape[w.value.rank - 1] === 1 ? [] : [[input, w.value.rank - 1]]),
    ] as const)
    .with('Embedding', () => [resize('outputDim'), (): Cut[] => [[output, 1]]] as const)
    .otherwise(() => {
      if (weights.length > 0) unexpected('channel removal (it has weights but no surgery rule)');
      return [{}, (): Cut[] => []] as const;
    });

  return { config: edit, weights: weights.map((w) => applyCuts(w.value, cutsFor(w))) };
}
