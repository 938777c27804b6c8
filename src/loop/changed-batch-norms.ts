import type * as tf from '@tensorflow/tfjs';
import { analyze } from '../graph/analyze';

/**
 * The BatchNormalization layers of `pruned` whose input the surgery changed: every BN downstream
 * of a consumer of a group that lost channels (a consumer's output changes when its inputs go;
 * producers and pass-through layers keep the remaining channels' values). `before` is the model
 * the step pruned, `removedPerGroup` the channels removed per group id. Internal to the loop.
 */
export function changedBatchNorms(before: tf.LayersModel, pruned: tf.LayersModel, removedPerGroup: Readonly<Record<string, number>>): Set<string> {
  const consumers = new Set<string>();
  for (const g of analyze(before).groups) {
    if ((removedPerGroup[g.id] ?? 0) === 0) continue;
    for (const m of g.members) if (m.role === 'consumer') consumers.add(m.layer);
  }
  const layers = new Set(pruned.layers);
  const seen = new Set<string>();
  const out = new Set<string>();
  const queue = pruned.layers.filter((l) => consumers.has(l.name));
  while (queue.length > 0) {
    const layer = queue.pop()!;
    if (seen.has(layer.name)) continue;
    seen.add(layer.name);
    if (layer.getClassName() === 'BatchNormalization') out.add(layer.name);
    for (const node of layer.outboundNodes) {
      const next = node.outboundLayer;
      if (layers.has(next) && !seen.has(next.name)) queue.push(next);
    }
  }
  return out;
}
