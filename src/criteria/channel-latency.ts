import type * as tf from '@tensorflow/tfjs';
import type { ResolvedModel } from '../graph/resolve-model';
import { layerMacs } from '../metrics/layer-macs';
import { channelSavings, layerShapesAt } from './channel-flops';

type Dims = ReadonlyArray<number | null>;

/** Elements of a list of shapes, batch axis left out (`null` when a size is unknown). */
function elements(shapes: Dims[]): number | null {
  let n = 0;
  for (const s of shapes) {
    let k = 1;
    for (let i = 1; i < s.length; i++) {
      const d = s[i];
      if (d === null || d === undefined) return null;
      k *= d;
    }
    n += k;
  }
  return n;
}

/**
 * For every channel of the given groups, the share of the model's measured time that removing
 * that channel alone saves: each layer's measured milliseconds (`layerMs`, by layer name, as
 * {@link measureLayerLatency} gives them) scale with its work, its MACs or, for layers without
 * MACs (activations, pooling, Add), the elements it writes; a channel saves every layer of its
 * group the part of that time its share of the work takes. Layers that were not measured save
 * nothing. With `inputShape`, shapes are taken at that input size.
 */
export function channelLatencyShare(
  model: tf.LayersModel,
  resolved: ResolvedModel,
  groupIds: readonly string[],
  layerMs: Readonly<Record<string, number>>,
  inputShape?: readonly (readonly number[])[],
): Record<string, Float32Array> {
  const total = Object.values(layerMs).reduce((a, b) => a + b, 0);
  const work = (layer: tf.layers.Layer, inputShapes: Dims[], outputShapes: Dims[]): number | null => {
    const macs = layerMacs(layer, inputShapes as Dims[], outputShapes as Dims[]);
    return macs !== null && macs > 0 ? macs : elements(outputShapes);
  };
  const at = inputShape ? layerShapesAt(model, inputShape) : undefined;
  const baseWork = new Map<string, number | null>();
  const saved = channelSavings(
    resolved,
    groupIds,
    (node, inputShapes, outputShapes) => {
      const ms = layerMs[node.name];
      if (ms === undefined || !(ms > 0)) return null;
      if (!baseWork.has(node.name)) {
        const shapes = at?.get(node.name);
        baseWork.set(node.name, work(node.layer, shapes?.inputShapes ?? node.inputShapes, shapes?.outputShapes ?? node.outputShapes));
      }
      const base = baseWork.get(node.name)!;
      const now = work(node.layer, inputShapes, outputShapes);
      return base === null || now === null || base === 0 ? null : (ms * now) / base;
    },
    at,
  );
  return Object.fromEntries(Object.entries(saved).map(([id, v]) => [id, Float32Array.from(v, (x) => (total > 0 ? x / total : 0))]));
}
