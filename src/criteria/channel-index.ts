import { OPAQUE } from '../graph/channel-flow';
import type { ResolvedModel } from '../graph/resolve-model';

/**
 * Where each channel class of a model lives: the group and the channel index inside it. Lets the
 * scoring code translate a tensor's positions (its channel map) into group channels.
 */
export interface ChannelIndex {
  /** Per position of the tensor `key`: the channel of group `groupId` it carries, or -1. */
  positionsOf(key: string, groupId: string): Int32Array;
}

/** Builds the class-root -> (group, channel) table of a resolved model (read only). */
export function channelIndex(resolved: ResolvedModel): ChannelIndex {
  const { flow } = resolved;
  const owner = new Map<number, { group: string; channel: number }>();
  for (const g of resolved.groups) g.classRoots.forEach((root, channel) => owner.set(root, { group: g.id, channel }));
  return {
    positionsOf(key: string, groupId: string): Int32Array {
      const atoms = flow.maps.get(key);
      if (!atoms) return new Int32Array(0);
      const out = new Int32Array(atoms.length).fill(-1);
      atoms.forEach((atom, p) => {
        if (atom === OPAQUE) return;
        const o = owner.get(flow.classes.find(atom));
        if (o !== undefined && o.group === groupId) out[p] = o.channel;
      });
      return out;
    },
  };
}
