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

/** Options of {@link gatedForward}. */
export interface GatedForwardOptions {
  /** Called at every tap with the ungated tensor. */
  onTap?: TapObserver;
  /** Called before every layer call with the node's index and the tensors it reads (after gating). */
  onNode?: (nodeIndex: number, inputs: readonly tf.Tensor[]) => void;
  /**
   * Run the layers in training mode (BN batch statistics, dropout): all of them (`true`), or only
   * the nodes of these indices (the others in inference mode). Default: false.
   */
  training?: boolean | ReadonlySet<number>;
  /**
   * The tensors of {@link reusableKeys}, computed once by {@link reusableTensors}: when given, only
   * the nodes the taps reach run (the rest of the model is upstream of every tap, or already here).
   */
  cached?: ReadonlyMap<string, tf.Tensor>;
}

/**
 * Runs the model's own layers eagerly, in topological order, on concrete tensors (no graph node is
 * added to the user's layers), in inference mode unless asked otherwise, multiplying `gates`
 * (`[batch, plan.width]`, or `null` for none) into every tap. Returns the model outputs. Call
 * inside `tf.tidy` (or a gradient function): every intermediate tensor is left to the caller's
 * scope.
 */
export function gatedForward(
  resolved: ResolvedModel,
  plan: GatePlan,
  inputs: readonly tf.Tensor[],
  gates: tf.Tensor | null,
  options: GatedForwardOptions = {},
): tf.Tensor[] {
  const { graph, rules } = resolved.flow;
  const values = new Map<string, tf.Tensor>(options.cached ?? []);
  [...graph.inputs].forEach((key, i) => inputs[i] && values.set(key, inputs[i]));
  const tapsAt = new Map<number, GateTap[]>();
  for (const tap of plan.taps) tapsAt.set(tap.nodeIndex, [...(tapsAt.get(tap.nodeIndex) ?? []), tap]);
  const batch = gates?.shape[0] ?? inputs[0].shape[0];
  const withOnes = gates === null ? null : tf.concat([gates, tf.ones([batch, 1])], 1);
  const mode = options.training;
  const kwargsOf = (nodeIndex: number): { training: boolean } => ({ training: typeof mode === 'object' ? mode.has(nodeIndex) : mode === true });
  // With cached upstream tensors, only the part of the model the taps reach runs.
  const only = options.cached ? dirtyPart(resolved, plan).nodes : null;

  graph.nodes.forEach((node, nodeIndex) => {
    if (only !== null && !only.has(nodeIndex)) return;
    if (node.outputs.every((key) => values.has(key))) return;
    if (rules[nodeIndex].type === 'input') {
      values.set(node.outputs[0], inputs[0]);
      return;
    }
    const ins = node.inputs.map((key) => {
      const t = values.get(key);
      if (t === undefined) throw new PruneError('INTERNAL', `Gated forward pass: tensor '${key}' read by '${node.name}' was not computed.`);
      return t;
    });
    for (const tap of tapsAt.get(nodeIndex) ?? []) {
      const z = ins[tap.inputIndex];
      options.onTap?.(tap, z);
      if (withOnes === null) continue;
      const columns = tap.columns.map((c) => (c < 0 ? plan.width : c));
      const gate = tf.gather(withOnes, tf.tensor1d(columns, 'int32'), 1);
      const shape = [batch, ...new Array<number>(z.rank - 2).fill(1), columns.length];
      ins[tap.inputIndex] = z.mul(gate.reshape(shape));
    }
    options.onNode?.(nodeIndex, ins);
    const out = node.layer.apply(ins.length === 1 ? ins[0] : ins, kwargsOf(nodeIndex)) as tf.Tensor | tf.Tensor[];
    const list = Array.isArray(out) ? out : [out];
    node.outputs.forEach((key, i) => values.set(key, list[i]));
  });
  return [...graph.outputs].map((key) => values.get(key)!);
}

/**
 * The tensors a gated pass can reuse between evaluations of the same plan: every tensor written
 * by a node that no tap reaches (upstream of every gated consumer) and read by one that a tap
 * reaches. Computing them once and passing them as `cached` runs only the gated part of the model.
 */
export function reusableKeys(resolved: ResolvedModel, plan: GatePlan): string[] {
  const { graph } = resolved.flow;
  const { nodes: dirtyNodes, keys: dirtyKeys } = dirtyPart(resolved, plan);
  const keys = new Set<string>();
  graph.nodes.forEach((node, i) => {
    if (!dirtyNodes.has(i)) return;
    for (const k of node.inputs) if (!dirtyKeys.has(k)) keys.add(k);
  });
  for (const k of graph.outputs) if (!dirtyKeys.has(k)) keys.add(k);
  return [...keys];
}

/** The nodes a tap reaches (the gated consumers and everything downstream) and the tensors they write. */
function dirtyPart(resolved: ResolvedModel, plan: GatePlan): { nodes: Set<number>; keys: Set<string> } {
  const keys = new Set<string>();
  const nodes = new Set<number>(plan.taps.map((t) => t.nodeIndex));
  resolved.flow.graph.nodes.forEach((node, i) => {
    if (nodes.has(i) || node.inputs.some((k) => keys.has(k))) {
      nodes.add(i);
      node.outputs.forEach((k) => keys.add(k));
    }
  });
  return { nodes, keys };
}

/**
 * Runs the ungated model up to the tensors of {@link reusableKeys} and returns them (new tensors
 * owned by the caller).
 */
export function reusableTensors(resolved: ResolvedModel, plan: GatePlan, inputs: readonly tf.Tensor[]): Map<string, tf.Tensor> {
  const keys = reusableKeys(resolved, plan);
  const { graph } = resolved.flow;
  const wanted = new Set(keys);
  const tensors = tf.tidy(() => {
    const values = new Map<string, tf.Tensor>();
    [...graph.inputs].forEach((key, i) => values.set(key, inputs[i]));
    for (const node of graph.nodes) {
      if ([...wanted].every((k) => values.has(k))) break;
      if (node.outputs.every((key) => values.has(key))) continue;
      const ins = node.inputs.map((key) => values.get(key)!);
      const out = node.layer.apply(ins.length === 1 ? ins[0] : ins, { training: false }) as tf.Tensor | tf.Tensor[];
      const list = Array.isArray(out) ? out : [out];
      node.outputs.forEach((key, i) => values.set(key, list[i]));
    }
    // Model inputs are the caller's: copy them so the result owns every tensor it holds.
    return keys.map((k) => (graph.inputs.has(k) ? values.get(k)!.clone() : values.get(k)!));
  });
  return new Map(keys.map((k, i) => [k, tensors[i]]));
}
