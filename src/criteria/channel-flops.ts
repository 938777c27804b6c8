import type * as tf from '@tensorflow/tfjs';
import type { ResolvedModel } from '../graph/resolve-model';
import { countFlops } from '../metrics/count-flops';
import { layerMacs } from '../metrics/layer-macs';
import type { GraphNode, Shape } from '../graph/layer-graph';
import { nodeShapesAt } from '../metrics/node-shapes';
import { channelIndex } from './channel-index';

type Dims = ReadonlyArray<number | null>;

/** A shape with `remove` fewer channels (last axis). */
function narrower(shape: Dims, remove: number): Dims {
  if (remove === 0) return shape;
  const out = [...shape];
  out[out.length - 1] = (out[out.length - 1] as number) - remove;
  return out;
}

/**
 * The work a layer application does at the given shapes (one example), in any unit, or `null`
 * when it cannot be said. The per-channel savings below are differences of it.
 */
export type LayerWork = (node: GraphNode, inputShapes: Dims[], outputShapes: Dims[]) => number | null;

/**
 * For every channel of the given groups, how much `work` removing that channel alone saves, summed
 * over every layer of its group (producers, pass-through layers such as BN and depthwise convs,
 * consumers). Computed from shapes, without surgery.
 */
export function channelSavings(resolved: ResolvedModel, groupIds: readonly string[], work: LayerWork, at?: LayerShapes): Record<string, Float64Array> {
  const index = channelIndex(resolved);
  const nodes = new Map(resolved.flow.graph.nodes.map((n) => {
    const given = at?.get(n.name);
    return [n.name, given ? { ...n, inputShapes: given.inputShapes as Shape[], outputShapes: given.outputShapes as Shape[] } : n];
  }));
  const out: Record<string, Float64Array> = {};
  for (const id of groupIds) {
    const group = resolved.groupById.get(id)!;
    const saved = new Float64Array(group.size);
    const layers = new Set(group.members.map((m) => m.layer));
    for (const name of layers) {
      const node = nodes.get(name);
      if (!node) continue;
      const base = work(node, node.inputShapes, node.outputShapes);
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
          const reduced = work(
            node,
            node.inputShapes.map((s, i) => narrower(s, inCounts[i][c])),
            node.outputShapes.map((s, i) => (i === 0 ? narrower(s, outCounts[c]) : s)),
          );
          delta = reduced === null ? 0 : base - reduced;
          cache.set(signature, delta);
        }
        saved[c] += delta;
      }
    }
    out[id] = saved;
  }
  return out;
}

/** Shapes of the layers of a model at a given input shape, by layer name (see {@link layerShapesAt}). */
export type LayerShapes = Map<string, { inputShapes: Dims[]; outputShapes: Dims[] }>;

/**
 * The shapes of every layer applied once in `model` when one example has the shape(s)
 * `inputShape` (no batch axis; one per input): what a model whose input size is not fixed has
 * at that size. Layers applied several times keep the graph's shapes.
 */
export function layerShapesAt(model: tf.LayersModel, inputShape: readonly (readonly number[])[]): LayerShapes {
  const out: LayerShapes = new Map();
  const seen = new Set<string>();
  for (const [node, shapes] of nodeShapesAt(model, inputShape.map((s) => [null, ...s]))) {
    const name = node.outboundLayer.name;
    if (seen.has(name)) out.delete(name);
    else out.set(name, shapes);
    seen.add(name);
  }
  return out;
}

/**
 * For every channel of the given groups, the share of the model's MACs that removing that channel
 * alone saves (in every layer of its group: producers, pass-through layers such as BN and
 * depthwise convs, consumers). Computed from shapes, without surgery; with `inputShape` (one
 * example, no batch axis, one per input), at that input size, as for a model whose input size is
 * not fixed.
 */
export function channelFlopsShare(model: tf.LayersModel, resolved: ResolvedModel, groupIds: readonly string[], inputShape?: readonly (readonly number[])[]): Record<string, Float32Array> {
  const total = countFlops(model, inputShape ? { inputShape: inputShape as number[][] } : {}).total;
  const at = inputShape ? layerShapesAt(model, inputShape) : undefined;
  const saved = channelSavings(resolved, groupIds, (node, inputShapes, outputShapes) => layerMacs(node.layer, inputShapes, outputShapes), at);
  return Object.fromEntries(Object.entries(saved).map(([id, v]) => [id, Float32Array.from(v, (x) => (total > 0 ? x / total : 0))]));
}
