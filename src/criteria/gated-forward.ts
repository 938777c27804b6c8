import * as tf from '@tensorflow/tfjs';
import type { ResolvedGroup } from '../graph/find-groups';
import type { ResolvedModel } from '../graph/resolve-model';
import { PruneError } from '../errors';
import { channelIndex } from './channel-index';

/** A point where a consumer layer reads channels of gated groups: one input of one layer call. */
export interface GateTap {
  /** Index into `flow.graph.nodes` of the consumer. */
  readonly nodeIndex: number;
  /** Which of the consumer's inputs. */
  readonly inputIndex: number;
  /** Per channel position of that input: its column in the gate matrix, or -1 (not gated). */
  readonly columns: Int32Array;
}

/**
 * Where gates go: one column per channel of every gated group (groups side by side, in the order
 * of `groups`), multiplied into every consumer input that carries the channel. Setting a column to
 * 0 computes exactly what the model pruned of that channel computes (the surgery invariant); its
 * derivative is the first-order change of the loss.
 */
export interface GatePlan {
  readonly groups: readonly ResolvedGroup[];
  /** Column of channel 0 of each group. */
  readonly offsets: ReadonlyMap<string, number>;
  /** Number of columns. */
  readonly width: number;
  readonly taps: readonly GateTap[];
}

/** Plans the gates of the given groups (all prunable groups by default). */
export function planGates(resolved: ResolvedModel, groups: readonly ResolvedGroup[]): GatePlan {
  const { flow } = resolved;
  const index = channelIndex(resolved);
  const offsets = new Map<string, number>();
  let width = 0;
  for (const g of groups) {
    offsets.set(g.id, width);
    width += g.size;
  }
  const taps: GateTap[] = [];
  flow.graph.nodes.forEach((node, nodeIndex) => {
    const rule = flow.rules[nodeIndex];
    if (rule.type !== 'producer' || !rule.consumesInput) return;
    node.inputs.forEach((key, inputIndex) => {
      const atoms = flow.maps.get(key);
      if (!atoms) return;
      const columns = new Int32Array(atoms.length).fill(-1);
      let any = false;
      for (const g of groups) {
        const offset = offsets.get(g.id)!;
        index.positionsOf(key, g.id).forEach((c, p) => {
          if (c >= 0) {
            columns[p] = offset + c;
            any = true;
          }
        });
      }
      if (any) taps.push({ nodeIndex, inputIndex, columns });
    });
  });
  return { groups, offsets, width, taps };
}

/** What the gated forward pass reports at each tap: the ungated tensor the consumer reads. */
export type TapObserver = (tap: GateTap, z: tf.Tensor) => void;

/**
 * Runs the model's own layers eagerly, in topological order, on concrete tensors (no graph node is
 * added to the user's layers), in inference mode, multiplying `gates` (`[batch, plan.width]`, or
 * `null` for none) into every tap. Returns the model outputs. Call inside `tf.tidy` (or a gradient
 * function): every intermediate tensor is left to the caller's scope.
 */
export function gatedForward(
  resolved: ResolvedModel,
  plan: GatePlan,
  inputs: readonly tf.Tensor[],
  gates: tf.Tensor | null,
  onTap?: TapObserver,
): tf.Tensor[] {
  const { graph, rules } = resolved.flow;
  const values = new Map<string, tf.Tensor>();
  [...graph.inputs].forEach((key, i) => values.set(key, inputs[i]));
  const tapsAt = new Map<number, GateTap[]>();
  for (const tap of plan.taps) tapsAt.set(tap.nodeIndex, [...(tapsAt.get(tap.nodeIndex) ?? []), tap]);
  const batch = inputs[0].shape[0];
  const withOnes = gates === null ? null : tf.concat([gates, tf.ones([batch, 1])], 1);

  graph.nodes.forEach((node, nodeIndex) => {
    if (rules[nodeIndex].type === 'input') {
      if (!values.has(node.outputs[0])) values.set(node.outputs[0], inputs[0]);
      return;
    }
    const ins = node.inputs.map((key) => {
      const t = values.get(key);
      if (t === undefined) throw new PruneError('INTERNAL', `Gated forward pass: tensor '${key}' read by '${node.name}' was not computed.`);
      return t;
    });
    for (const tap of tapsAt.get(nodeIndex) ?? []) {
      const z = ins[tap.inputIndex];
      onTap?.(tap, z);
      if (withOnes === null) continue;
      const columns = tap.columns.map((c) => (c < 0 ? plan.width : c));
      const gate = tf.gather(withOnes, tf.tensor1d(columns, 'int32'), 1);
      const shape = [batch, ...new Array<number>(z.rank - 2).fill(1), columns.length];
      ins[tap.inputIndex] = z.mul(gate.reshape(shape));
    }
    const out = node.layer.apply(ins.length === 1 ? ins[0] : ins, { training: false }) as tf.Tensor | tf.Tensor[];
    const list = Array.isArray(out) ? out : [out];
    node.outputs.forEach((key, i) => values.set(key, list[i]));
  });
  return [...graph.outputs].map((key) => values.get(key)!);
}
