/**
 * What a layer does with a group's channels.
 *
 * @example
 * ```ts
 * const [group] = analyze(model).groups;
 * const role: GroupRole = 'consumer';
 * const consumers = group.members.filter((m) => m.role === role).map((m) => m.layer);
 * ```
 */
export type GroupRole = 'producer' | 'passThrough' | 'consumer';

/**
 * One layer taking part in a pruning group.
 *
 * @example
 * ```ts
 * const [group] = analyze(model).groups;
 * // e.g. { layer: 'batch_normalization_1', className: 'BatchNormalization', role: 'passThrough' }
 * const bn: GroupMember | undefined = group.members.find((m) => m.className === 'BatchNormalization');
 * ```
 */
export interface GroupMember {
  /** Layer name. */
  layer: string;
  /** Keras class name, e.g. `'Conv2D'`. */
  className: string;
  /**
   * `producer`: the layer creates the channels (its units or filters shrink);
   * `passThrough`: the layer carries them (BN, activations, pooling, merges, depthwise, flatten);
   * `consumer`: the layer reads them (its input weight rows shrink).
   */
  role: GroupRole;
}

/**
 * A set of channels that must be removed together: removing channel `i` of the group removes
 * it from every producer, the matching slices of every pass-through layer and the matching
 * input rows of every consumer.
 *
 * @example
 * ```ts
 * const { groups } = analyze(model);
 * const locked = groups.filter((g) => !g.prunable).map((g) => `${g.id}: ${g.reason}`);
 * ```
 */
export interface PruningGroup {
  /** Stable id: the name of the group's first producer layer (topological order). */
  id: string;
  /** Number of channels; removal indices are in `[0, size)`. */
  size: number;
  /** Whether channels of this group may be removed. */
  prunable: boolean;
  /** Why not, naming the layer and its class; present exactly when `prunable` is false. */
  reason?: string;
  /** Every layer the group touches, with its role (a layer may appear with several roles). */
  members: GroupMember[];
}

/**
 * What `analyze(model)` returns.
 *
 * @example
 * ```ts
 * const analysis: Analysis = analyze(model);
 * const prunableChannels = analysis.groups.filter((g) => g.prunable).reduce((n, g) => n + g.size, 0);
 * ```
 */
export interface Analysis {
  /** Every group of channels, in topological order of their first producer. */
  groups: PruningGroup[];
}
