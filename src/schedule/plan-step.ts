import type { PruningGroup } from '../graph/pruning-group';
import type { GroupScores } from '../criteria/criterion';
import type { Removals } from '../surgery/validate-removals';
import type { ResolvedSchedule } from './schedule-options';

/** The groups a step may prune, with how far each may go. */
interface Candidate {
  group: PruningGroup;
  scores: Float32Array;
  /** Fewest channels the group may keep. */
  floor: number;
}

/** The smallest allowed size of a group: minChannels, maxRatio of its original size, rounded up to roundTo. */
export function groupFloor(originalSize: number, currentSize: number, schedule: ResolvedSchedule): number {
  let floor = Math.max(schedule.minChannels, Math.ceil(originalSize * (1 - schedule.maxRatio) - 1e-9));
  if (schedule.roundTo > 1 && currentSize >= schedule.roundTo) floor = Math.ceil(floor / schedule.roundTo) * schedule.roundTo;
  return Math.min(floor, currentSize);
}

/**
 * A channel's ranking key under `ranking: 'cost'`: its score per unit of cost saved. A channel
 * that saves nothing goes last (or first, with a score <= 0: it costs nothing to lose).
 */
export function perCost(score: number, cost: number | undefined): number {
  if (cost === undefined || !(cost > 0)) return score > 0 ? Infinity : -Infinity;
  return score / cost;
}

/** Channel order by score, lowest first; ties by channel index (deterministic, one channel at a time). */
function ascending(scores: Float32Array): number[] {
  return Array.from(scores.keys()).sort((a, b) => scores[a] - scores[b] || a - b);
}

/**
 * Chooses the channels one pruning step removes. Channels are taken lowest score first, exactly as
 * many as the schedule says (ties at the cut-off are broken by group order, then channel index,
 * never all removed at once), never taking a group below its floor (`minChannels`, `maxRatio`,
 * `roundTo`); then `roundTo` tops up each touched group to a multiple. Returns the removals per
 * group id (empty when every group is at its floor).
 */
export function planStep(
  groups: readonly PruningGroup[],
  scores: GroupScores,
  originalSizes: Readonly<Record<string, number>>,
  schedule: ResolvedSchedule,
  options: {
    /** Remove exactly this many channels (at most what the floors allow) instead of the schedule's count. */
    count?: number;
    /**
     * Per-channel cost shares, per group id: with `ranking: 'cost'`, channels are ranked by
     * score / cost; with `channelsPerStep: { cost }`, they are what the budget is spent on.
     */
    costs?: GroupScores;
  } = {},
): Removals {
  const candidates: Candidate[] = groups
    .filter((g) => g.prunable && scores[g.id] !== undefined && !schedule.exclude(g))
    .map((g) => ({ group: g, scores: scores[g.id], floor: groupFloor(originalSizes[g.id] ?? g.size, g.size, schedule) }));
  const remaining = candidates.reduce((n, c) => n + c.group.size, 0);
  const per = schedule.channelsPerStep;
  // A cost budget (without an explicit count) is spent below; the channel count is then unbounded.
  const budget = options.count === undefined && 'cost' in per ? per.cost : null;
  if (budget !== null && options.costs === undefined) throw new Error('planStep: channelsPerStep { cost } needs the channel costs');
  const target = options.count ?? ('count' in per ? per.count : 'fraction' in per ? Math.max(1, Math.round(per.fraction * remaining)) : remaining);

  const chosen = new Map<string, number[]>();
  if (schedule.ranking === 'global' || schedule.ranking === 'cost') {
    const all: Array<{ c: Candidate; channel: number; order: number; key: number }> = [];
    const byCost = schedule.ranking === 'cost' && options.costs !== undefined;
    candidates.forEach((c, order) => c.scores.forEach((score, channel) => all.push({ c, channel, order, key: byCost ? perCost(score, options.costs![c.group.id]?.[channel]) : score })));
    all.sort((a, b) => a.key - b.key || a.order - b.order || a.channel - b.channel);
    let taken = 0;
    let saved = 0;
    for (const { c, channel } of all) {
      if (taken >= target || (budget !== null && saved >= budget)) break;
      const list = chosen.get(c.group.id) ?? [];
      if (c.group.size - list.length <= c.floor) continue;
      list.push(channel);
      chosen.set(c.group.id, list);
      taken++;
      if (budget !== null) saved += options.costs![c.group.id]?.[channel] ?? 0;
    }
  } else {
    // Every group loses its share of the step (proportional to its size): exactly `target`
    // channels, shares rounded by largest remainder (ties by group order), what a group at its
    // floor cannot take handed on to the others.
    const room = candidates.map((c) => Math.max(0, c.group.size - c.floor));
    const take = new Array<number>(candidates.length).fill(0);
    let left = Math.min(target, room.reduce((a, b) => a + b, 0));
    while (left > 0) {
      const open = candidates.map((_, i) => i).filter((i) => take[i] < room[i]);
      const total = open.reduce((n, i) => n + candidates[i].group.size, 0);
      const exact = open.map((i) => (left * candidates[i].group.size) / total);
      const floors = exact.map((e, k) => Math.min(Math.floor(e), room[open[k]] - take[open[k]]));
      let given = floors.reduce((a, b) => a + b, 0);
      const byRemainder = open.map((_, k) => k).sort((a, b) => exact[b] - Math.floor(exact[b]) - (exact[a] - Math.floor(exact[a])) || a - b);
      for (const k of byRemainder) {
        if (given >= left) break;
        if (take[open[k]] + floors[k] < room[open[k]]) {
          floors[k]++;
          given++;
        }
      }
      if (given === 0) break;
      open.forEach((i, k) => (take[i] += floors[k]));
      left -= given;
    }
    candidates.forEach((c, i) => {
      if (take[i] > 0) chosen.set(c.group.id, ascending(c.scores).slice(0, take[i]));
    });
  }

  // roundTo: a group that loses channels lands on a multiple (never below its floor).
  if (schedule.roundTo > 1) {
    for (const c of candidates) {
      const list = chosen.get(c.group.id);
      if (!list || c.group.size < schedule.roundTo) continue;
      const kept = Math.max(c.floor, Math.floor((c.group.size - list.length) / schedule.roundTo) * schedule.roundTo);
      const extra = c.group.size - kept - list.length;
      if (extra <= 0) continue;
      const taken = new Set(list);
      for (const channel of ascending(c.scores)) {
        if (list.length >= c.group.size - kept) break;
        if (!taken.has(channel)) list.push(channel);
      }
    }
  }
  const out: Record<string, number[]> = {};
  for (const [id, list] of chosen) if (list.length > 0) out[id] = list.sort((a, b) => a - b);
  return out;
}
