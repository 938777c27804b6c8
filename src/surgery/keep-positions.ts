import { OPAQUE, type ChannelFlow } from '../graph/channel-flow';

/**
 * For a tensor's channel map, the positions that survive once the classes in `removed` are gone,
 * or `null` when nothing is removed from that tensor.
 */
export function keepPositions(flow: ChannelFlow, key: string, removed: Set<number>): Int32Array | null {
  const atoms = flow.maps.get(key);
  if (!atoms || removed.size === 0) return null;
  const keep: number[] = [];
  for (let p = 0; p < atoms.length; p++) {
    const a = atoms[p];
    if (a === OPAQUE || !removed.has(flow.classes.find(a))) keep.push(p);
  }
  return keep.length === atoms.length ? null : Int32Array.from(keep);
}
