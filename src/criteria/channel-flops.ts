import type * as tf from '@tensorflow/tfjs';
import type { ResolvedModel } from '../graph/resolve-model';
import { countFlops } from '../metrics/count-flops';
import { layerMacs } from '../metrics/layer-macs';
import { channelIndex } from './channel-index';

type Dims = Array<number | null>;

/** A shape with `remove` fewer channels (last axis). */
function narrower(shape: Dims, remove: number): Dims {
  if (remove === 0) return shape;
  const out = [...shape];
  out[out.length - 1] = (out[out.length - 1] as number) - remove;
  return out;
}

/**
 * For every channel of the given groups, the share of the model's MACs that removing that channel
 * alone saves (in every layer of its group: producers, pass-through layers such as BN and
 * depthwise convs, consumers). Computed from shapes, without surgery.
 */
export function channelFlopsShare(model: tf.LayersModel, resolved: ResolvedModel, groupIds: readonly string[]): Record<string, Float32Array> {
  const total = countFlops(model).total;
  const index = channelIndex(resolved);
  const nodes = new Map(resolved.flow.graph.nodes.map((n) => [n.name, n]));
  const out: Record<string, Float32Array> = {};
  for (const id of groupIds) {
    const group = resolved.groupById.get(id)!;
    const saved = new Float64Array(group.size);
    const layers = new Set(group.members.map((m) => m.layer));
    for (const name of layers) {
      const node = nodes.get(name);
      if (!node) continue;
      const base = layerMacs(node.layer, node.inputShapes, node.outputShapes);
      if (base === null || base === 0) continue;
      // Positions carrying each channel of the group, per input and for the output.
      const countsOf = (key: string): Int32Array => {
        const counts = new Int32Array(group.size);
        index.positionsOf(key, id).forEach((c) => c >= 0 && counts[c]++);
        return counts;
      };
      const inCounts = node.inputs.map(countsOf);
      const outCounts = countsOf(node.outputs[0]);
      const cache = new Map<string, number>();
      for (let c = 0; c < group.size; c++) {
        const signature = `${inCounts.map((k) => k[c]).join(',')}|${outCounts[c]}`;
        let delta = cache.get(signature);
        if (delta === undefined) {
          const reduced = layerMacs(
            node.layer,
            node.inputShapes.map((s, i) => narrower(s, inCounts[i][c])),
            node.outputShapes.map((s, i) => (i === 0 ? narrower(s, outCounts[c]) : s)),
          );
          delta = reduced === null ? 0 : base - reduced;
          cache.set(signature, delta);
        }
        saved[c] += delta;
      }
    }
    out[id] = Float32Array.from(saved, (v) => (total > 0 ? v / total : 0));
  }
  return out;
}
