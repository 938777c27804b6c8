import type { ChannelFlow } from './channel-flow';
import { OPAQUE } from './channel-flow';
import type { GroupMember, GroupRole, PruningGroup } from './pruning-group';
import { UnionFind } from './union-find';

/** A pruning group plus what surgery needs: the class (root atom) behind each channel index. */
export interface ResolvedGroup extends PruningGroup {
  /** `classRoots[i]` is the union-find root of channel `i` of the group. */
  readonly classRoots: number[];
}

/**
 * Groups producers whose channels are tied by merges, numbers each group's channel classes and
 * lists its members.
 */
export function findGroups(flow: ChannelFlow): ResolvedGroup[] {
  const { classes, atomNode, graph, rules, maps } = flow;
  const atomCount = atomNode.length;

  // Producers tied by a shared class belong to one group.
  const producers = new UnionFind();
  const producerSet = new Map<number, number>(); // node index -> producer set element
  for (let a = 0; a < atomCount; a++) {
    if (!producerSet.has(atomNode[a])) producerSet.set(atomNode[a], producers.add());
  }
  const firstProducerOfClass = new Map<number, number>();
  for (let a = 0; a < atomCount; a++) {
    const root = classes.find(a);
    const p = producerSet.get(atomNode[a]) as number;
    const seen = firstProducerOfClass.get(root);
    if (seen === undefined) firstProducerOfClass.set(root, p);
    else producers.union(seen, p);
  }

  // One group per producer set, keyed by its set root, in order of first atom (topological).
  const groupOfProducerRoot = new Map<number, ResolvedGroup>();
  const groups: ResolvedGroup[] = [];
  const groupOfClass = new Map<number, ResolvedGroup>();
  const reasons = new Map<ResolvedGroup, Set<string>>();
  for (let a = 0; a < atomCount; a++) {
    const root = classes.find(a);
    const pRoot = producers.find(producerSet.get(atomNode[a]) as number);
    let group = groupOfProducerRoot.get(pRoot);
    if (!group) {
      group = { id: graph.nodes[atomNode[a]].name, size: 0, prunable: true, members: [], classRoots: [] };
      groupOfProducerRoot.set(pRoot, group);
      groups.push(group);
    }
    if (!groupOfClass.has(root)) {
      groupOfClass.set(root, group);
      group.classRoots.push(root);
      group.size++;
      const locked = flow.lockReasons(root);
      if (locked.length > 0) {
        const set = reasons.get(group) ?? new Set<string>();
        locked.forEach((r) => set.add(r));
        reasons.set(group, set);
      }
    }
  }

  // Every distinct reason, so the user sees them all at once.
  for (const [group, set] of reasons) {
    group.prunable = false;
    group.reason = [...set].join('; ');
  }

  // Members, from each node's rule and the groups its tensors carry.
  const seen = new Set<string>();
  const addMembers = (atoms: Int32Array | undefined, nodeIndex: number, role: GroupRole): void => {
    if (!atoms) return;
    const node = graph.nodes[nodeIndex];
    for (const a of atoms) {
      if (a === OPAQUE) continue;
      const group = groupOfClass.get(classes.find(a)) as ResolvedGroup;
      const key = `${group.id}\u0000${node.name}\u0000${role}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const member: GroupMember = { layer: node.name, className: node.className, role };
      group.members.push(member);
    }
  };
  graph.nodes.forEach((node, i) => {
    const rule = rules[i];
    if (rule.type === 'producer') {
      addMembers(maps.get(node.outputs[0]), i, 'producer');
      if (rule.consumesInput) node.inputs.forEach((k) => addMembers(maps.get(k), i, 'consumer'));
    } else if (rule.type !== 'barrier' && rule.type !== 'input') {
      node.inputs.forEach((k) => addMembers(maps.get(k), i, 'passThrough'));
    }
  });
  return groups;
}
