import type { PruningGroup } from '../graph/pruning-group';
import { PruneError } from '../errors';

/**
 * How many channels each pruning step removes, and from where.
 *
 * @example
 * ```ts
 * const schedule: ScheduleOptions = { channelsPerStep: { fraction: 0.05 }, ranking: 'cost', minChannels: 4, maxRatio: 0.8, roundTo: 4 };
 * ```
 */
export interface ScheduleOptions {
  /**
   * Channels removed per step: `{ fraction }` of the channels that remain in the prunable (not
   * excluded) groups, rounded, at least 1; a fixed count (a positive integer); or `{ cost }`, a
   * budget in the objective's cost: channels are taken in ranking order until together they save
   * that share of the current model's cost (FLOPs, params or measured latency; at least one
   * channel), a greedy knapsack (HALP, Shen et al. 2022) with the `'cost'` ranking. `{ cost }`
   * needs a single ranking (`'cost'` or `'global'`). Default: `{ fraction: 0.05 }`.
   */
  channelsPerStep?: number | { fraction: number } | { cost: number };
  /**
   * `'cost'`: one ranking of all channels of all groups by score (normalised per group, as the
   * criterion says) per unit of cost saved: the exact share of the objective's cost (FLOPs; params
   * for `'params'` and `'size'`; for `'latency'`, each layer's time measured on the backend at
   * batch 1, shared out by the work each channel takes in it) that removing the channel saves
   * in the current model, recomputed every step as groups shrink. Cheap channels must score that
   * much lower to go. `'global'`: the same single ranking by score alone, whatever a channel
   * costs; `'perLayer'`: every group loses the same fraction (its own lowest-scoring channels).
   * Default: `'cost'`, or `'global'` when the criterion has a `flopsPenalty` (which already
   * charges the cost).
   */
  ranking?: 'cost' | 'global' | 'perLayer';
  /** No group is pruned below this many channels. Default: 1. */
  minChannels?: number;
  /**
   * At most this fraction of a group's original channels is ever removed, in `[0, 1]`; e.g. 0.8
   * keeps at least 20% of every group. Default: 1 (only `minChannels` limits).
   */
  maxRatio?: number;
  /**
   * Keep channel counts multiples of this (e.g. 8 for fast kernels): a group that loses channels in
   * a step loses enough to land on a multiple (never below its floor, rounded up to a multiple).
   * Groups smaller than `roundTo` are left alone. Default: 1.
   */
  roundTo?: number;
  /**
   * Groups never pruned: those with a producer layer of one of these names, or for which the
   * predicate returns true. Default: none.
   */
  exclude?: readonly string[] | ((group: PruningGroup) => boolean);
}

/** Schedule options with defaults filled in and checked. */
export interface ResolvedSchedule {
  channelsPerStep: { fraction: number } | { count: number } | { cost: number };
  ranking: 'cost' | 'global' | 'perLayer';
  /** Whether `ranking` was given (else `'cost'` is the default, which yields to a criterion's `flopsPenalty`). */
  rankingGiven: boolean;
  minChannels: number;
  maxRatio: number;
  roundTo: number;
  exclude: (group: PruningGroup) => boolean;
}

const fail = (what: string): never => {
  throw new PruneError('INVALID_OPTION', `schedule.${what}`);
};

/** Checks schedule options and fills in defaults; throws a PruneError naming the bad field. */
export function resolveSchedule(options: ScheduleOptions | undefined): ResolvedSchedule {
  const o = options ?? {};
  if (typeof o !== 'object' || o === null) fail(`: must be an object; got ${String(o)}.`);
  const known = ['channelsPerStep', 'ranking', 'minChannels', 'maxRatio', 'roundTo', 'exclude'];
  const unknown = Object.keys(o).filter((k) => !known.includes(k));
  if (unknown.length > 0) fail(`: unknown option(s) ${unknown.join(', ')}; known: ${known.join(', ')}.`);

  let channelsPerStep: ResolvedSchedule['channelsPerStep'] = { fraction: 0.05 };
  const per = o.channelsPerStep;
  if (typeof per === 'number') {
    if (!Number.isInteger(per) || per < 1) fail(`channelsPerStep: a count must be a positive integer (use { fraction: ${per} } for a fraction); got ${per}.`);
    channelsPerStep = { count: per };
  } else if (per !== null && typeof per === 'object' && 'cost' in per) {
    const c = (per as { cost?: unknown }).cost;
    if (typeof c !== 'number' || !(c > 0 && c < 1) || Object.keys(per).length !== 1) fail(`channelsPerStep.cost must be a number in (0, 1) alone, e.g. { cost: 0.1 } (a tenth of the current cost per step); got ${JSON.stringify(per)}.`);
    channelsPerStep = { cost: c as number };
  } else if (per !== undefined) {
    const f = (per as { fraction?: unknown } | null)?.fraction;
    if (typeof f !== 'number' || !(f > 0 && f < 1)) fail(`channelsPerStep must be a count, { fraction } in (0, 1) or { cost } in (0, 1), e.g. { fraction: 0.05 }; got ${JSON.stringify(per)}.`);
    channelsPerStep = { fraction: f as number };
  }
  const ranking = o.ranking ?? 'cost';
  if (ranking !== 'cost' && ranking !== 'global' && ranking !== 'perLayer') fail(`ranking must be 'cost', 'global' or 'perLayer'; got ${JSON.stringify(ranking)}.`);
  if (ranking === 'perLayer' && 'cost' in channelsPerStep) fail("channelsPerStep: { cost } takes channels from one ranking of all groups; it does not combine with ranking: 'perLayer' (use { fraction } there, or ranking: 'cost').");
  const minChannels = o.minChannels ?? 1;
  if (!Number.isInteger(minChannels) || minChannels < 1) fail(`minChannels must be an integer >= 1; got ${String(minChannels)}.`);
  const maxRatio = o.maxRatio ?? 1;
  if (typeof maxRatio !== 'number' || !(maxRatio >= 0 && maxRatio <= 1)) fail(`maxRatio must be a number in [0, 1]; got ${String(maxRatio)}.`);
  const roundTo = o.roundTo ?? 1;
  if (!Number.isInteger(roundTo) || roundTo < 1) fail(`roundTo must be a positive integer; got ${String(roundTo)}.`);
  let exclude: (g: PruningGroup) => boolean = () => false;
  if (typeof o.exclude === 'function') exclude = o.exclude;
  else if (Array.isArray(o.exclude)) {
    const names = new Set(o.exclude as readonly string[]);
    if ([...names].some((n) => typeof n !== 'string')) fail('exclude must be an array of layer names or a predicate (group) => boolean.');
    exclude = (g) => g.members.some((m) => m.role === 'producer' && names.has(m.layer));
  } else if (o.exclude !== undefined) fail(`exclude must be an array of layer names or a predicate; got ${typeof o.exclude}.`);
  return { channelsPerStep, ranking, rankingGiven: o.ranking !== undefined, minChannels, maxRatio, roundTo, exclude };
}
