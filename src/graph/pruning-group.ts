/** What a layer does with a group's channels. */
export type GroupRole = 'producer' | 'passThrough' | 'consumer';

/** One layer taking part in a pruning group. */
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

/** What `analyze(model)` returns. */
export interface Analysis {
  /** Every group of channels, in topological order of their first producer. */
  groups: PruningGroup[];
}
