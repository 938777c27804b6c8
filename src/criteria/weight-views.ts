import * as tf from '@tensorflow/tfjs';
import type { ResolvedGroup } from '../graph/find-groups';
import type { ResolvedModel } from '../graph/resolve-model';
import { weightShortName } from '../model/weight-short-name';
import { PruneError } from '../errors';
import { customSurgeryOf } from '../graph/channel-rule';
import { producerChannelAxis } from './channel-axis';
import type { ChannelIndex } from './channel-index';
import type { ChannelValues, ProducerWeights } from './criterion';

/** The rows of `w` along `axis` (moved first, the rest flattened), as a host `[n, rest]` array. */
function rowsAlong(w: tf.Tensor, axis: number, rows: Int32Array): { values: Float32Array; rowLength: number } {
  const picked = tf.tidy(() => {
    const perm = [axis, ...w.shape.map((_, i) => i).filter((i) => i !== axis)];
    const moved = axis === 0 ? w : w.transpose(perm);
    const matrix = moved.reshape([w.shape[axis], -1]);
    return tf.gather(matrix, tf.tensor1d(rows, 'int32'), 0);
  });
  // Read outside tidy: tidy would walk a returned typed array element by element.
  try {
    return { values: picked.dataSync() as Float32Array, rowLength: picked.shape[1] as number };
  } finally {
    picked.dispose();
  }
}

/** Which positions of a tensor carry the group, and the group channel of each. */
function pick(positions: Int32Array): { rows: Int32Array; channels: Int32Array } {
  const rows: number[] = [];
  const channels: number[] = [];
  positions.forEach((c, p) => {
    if (c >= 0) {
      rows.push(p);
      channels.push(c);
    }
  });
  return { rows: Int32Array.from(rows), channels: Int32Array.from(channels) };
}

/** Reads, caches and hands out the per-channel weights of groups (host copies; read only). */
export class WeightViews {
  private readonly producers = new Map<string, ProducerWeights[]>();
  private readonly scales = new Map<string, Array<ChannelValues & { layer: string }>>();
  private readonly nodeByName: Map<string, ResolvedModel['flow']['graph']['nodes'][number]>;

  constructor(
    private readonly resolved: ResolvedModel,
    private readonly index: ChannelIndex,
  ) {
    this.nodeByName = new Map(resolved.flow.graph.nodes.map((n) => [n.name, n]));
  }

  private group(groupId: string): ResolvedGroup {
    const g = this.resolved.groupById.get(groupId);
    if (!g) throw new PruneError('UNKNOWN_GROUP', `No pruning group has id '${groupId}'; call analyze(model) to list the group ids.`);
    return g;
  }

  producerWeights(groupId: string): ProducerWeights[] {
    const cached = this.producers.get(groupId);
    if (cached) return cached;
    const out: ProducerWeights[] = [];
    for (const member of this.group(groupId).members) {
      if (member.role !== 'producer') continue;
      const node = this.nodeByName.get(member.layer)!;
      const { rows, channels } = pick(this.index.positionsOf(node.outputs[0], groupId));
      let kernel: { values: Float32Array; rowLength: number } | null = null;
      let bias: Float32Array | null = null;
      const values = node.layer.getWeights(); // the layer's own variables: never dispose them
      const custom = customSurgeryOf(this.resolved.flow.rules[this.resolved.flow.graph.nodes.indexOf(node)]);
      node.layer.weights.forEach((w, i) => {
        const where = producerChannelAxis(node.className, weightShortName(w), values[i].rank, custom?.weights[i]);
        if (where === null) return;
        if (where.role === 'kernel' && kernel !== null) return; // the first kernel-like weight (custom layers may have several)
        const sliced = rowsAlong(values[i], where.axis, rows);
        if (where.role === 'bias') bias = sliced.values;
        else kernel = sliced;
      });
      if (kernel === null) {
        throw new PruneError('INTERNAL', `Producer '${node.name}' (${node.className}) of group '${groupId}' has no kernel weight per output channel.`);
      }
      const k = kernel as { values: Float32Array; rowLength: number };
      out.push({ layer: node.name, className: node.className, channels, fanIn: k.rowLength, kernel: k.values, bias });
    }
    this.producers.set(groupId, out);
    return out;
  }

  batchNormScales(groupId: string): Array<ChannelValues & { layer: string }> {
    const cached = this.scales.get(groupId);
    if (cached) return cached;
    const out: Array<ChannelValues & { layer: string }> = [];
    for (const member of this.group(groupId).members) {
      if (member.className !== 'BatchNormalization' || member.role !== 'passThrough') continue;
      const node = this.nodeByName.get(member.layer)!;
      const gammaIndex = node.layer.weights.findIndex((w) => weightShortName(w) === 'gamma');
      if (gammaIndex < 0) continue; // scale: false
      const { rows, channels } = pick(this.index.positionsOf(node.inputs[0], groupId));
      const gamma = rowsAlong(node.layer.getWeights()[gammaIndex], 0, rows).values;
      out.push({ layer: node.name, channels, values: gamma });
    }
    this.scales.set(groupId, out);
    return out;
  }
}
