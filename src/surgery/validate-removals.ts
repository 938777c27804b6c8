import { PruneError } from '../errors';
import { OPAQUE } from '../graph/channel-flow';
import { lockedGroupHint } from '../graph/locked-group-hint';
import type { ResolvedModel } from '../graph/resolve-model';

/**
 * Channel indices to remove, per group id (as reported by `analyze(model)`). Indices are in
 * `[0, group.size)`; each at most once; at least one channel of every group must stay.
 *
 * @example
 * ```ts
 * const removals: Removals = { conv2d_Conv2D1: [0, 5], dense_Dense1: [3] };
 * const smaller = prune(model, removals);
 * ```
 */
export type Removals = Record<string, readonly number[] | Int32Array | Uint32Array>;

/**
 * Checks a removal plan against the model's groups and returns the class roots to remove.
 * Throws a {@link PruneError} for the first problem found; nothing is modified.
 */
export function validateRemovals(resolved: ResolvedModel, removals: unknown): Set<number> {
  if (removals === null || typeof removals !== 'object' || Array.isArray(removals)) {
    throw new PruneError(
      'INVALID_OPTION',
      `\`removals\` must be an object mapping group ids to arrays of channel indices, e.g. { conv2d_1: [0, 5] }; got ${Array.isArray(removals) ? 'an array' : String(removals)}.`,
    );
  }
  const removed = new Set<number>();
  for (const [id, indices] of Object.entries(removals as Record<string, unknown>)) {
    const group = resolved.groupById.get(id);
    if (!group) {
      const known = resolved.groups.filter((g) => g.prunable).map((g) => g.id);
      throw new PruneError(
        'UNKNOWN_GROUP',
        `No pruning group has id '${id}'. Group ids are the names of their first producer layer; prunable groups of this model: ${known.length > 0 ? known.join(', ') : '(none)'}. Call analyze(model) to list them.`,
      );
    }
    if (!Array.isArray(indices) && !(ArrayBuffer.isView(indices) && !(indices instanceof DataView))) {
      throw new PruneError(
        'INVALID_OPTION',
        `removals['${id}'] must be an array (or typed array) of channel indices; got ${indices === null ? 'null' : typeof indices}.`,
      );
    }
    const list = Array.from(indices as ArrayLike<number>);
    if (list.length === 0) continue;
    if (!group.prunable) {
      throw new PruneError(
        'GROUP_NOT_PRUNABLE',
        `Group '${id}' cannot be pruned: ${group.reason}. ${lockedGroupHint(group.reason, resolved.groups.filter((g) => g.prunable).map((g) => g.id))}`,
      );
    }
    const seen = new Set<number>();
    for (const i of list) {
      if (!Number.isInteger(i) || i < 0 || i >= group.size) {
        throw new PruneError(
          'INDEX_OUT_OF_RANGE',
          `removals['${id}'] contains ${String(i)}, but group '${id}' has ${group.size} channels: indices must be integers in [0, ${group.size - 1}].`,
        );
      }
      if (seen.has(i)) {
        throw new PruneError('DUPLICATE_INDEX', `removals['${id}'] lists channel ${i} more than once; list each channel to remove once.`);
      }
      seen.add(i);
    }
    if (seen.size === group.size) {
      throw new PruneError(
        'REMOVES_ALL_CHANNELS',
        `removals['${id}'] removes all ${group.size} channels of group '${id}', which would disconnect the model. Keep at least one channel.`,
      );
    }
    for (const i of seen) removed.add(group.classRoots[i]);
  }
  assertNoEmptyTensor(resolved, removed);
  return removed;
}

/**
 * Refuses a plan that removes every channel of some tensor although its group keeps some: a group
 * tied by an Add to a Concatenate can be larger than one of its producers, and emptying that
 * producer would leave a layer with 0 filters.
 */
function assertNoEmptyTensor(resolved: ResolvedModel, removed: Set<number>): void {
  if (removed.size === 0) return;
  const { flow } = resolved;
  for (const node of flow.graph.nodes) {
    for (const key of node.outputs) {
      const atoms = flow.maps.get(key);
      if (!atoms || atoms.length === 0) continue;
      if (!atoms.every((a) => a !== OPAQUE && removed.has(flow.classes.find(a)))) continue;
      const group = resolved.groups.find((g) => g.classRoots.includes(flow.classes.find(atoms[0])));
      throw new PruneError(
        'REMOVES_ALL_CHANNELS',
        `The plan removes all ${atoms.length} channel(s) of the output of layer '${node.name}' (${node.className}), channels of group '${group?.id}', ` +
          'which would leave that layer with no output. Keep at least one of its channels.',
      );
    }
  }
}
