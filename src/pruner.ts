import type * as tf from '@tensorflow/tfjs';
import { PruneError } from './errors';
import { criteria } from './criteria/criteria';
import type { Criterion, GroupScores } from './criteria/criterion';
import { assertCriterion } from './criteria/score-groups';
import { rankingScores } from './criteria/ranking-scores';
import { checkDataSource } from './data/data-source';
import { channelIndex } from './criteria/channel-index';
import type { DataSource } from './data/data-source';
import type { LossSpec } from './data/per-example-loss';
import { analyze } from './graph/analyze';
import { resolveModel } from './graph/resolve-model';
import { assertLayersModel } from './model/assert-layers-model';
import { needsLabels } from './criteria/scoring-run';
import { countFlops } from './metrics/count-flops';
import { resolveInputShape, type InputShape } from './metrics/input-shape';
import { countParams } from './metrics/count-params';
import { planStep } from './schedule/plan-step';
import { channelCosts } from './schedule/channel-costs';
import { resolveSchedule, type ResolvedSchedule, type ScheduleOptions } from './schedule/schedule-options';
import { cutModel } from './surgery/prune';
import { landOnTarget } from './schedule/land-on-target';
import { validateRemovals, type Removals } from './surgery/validate-removals';
import { compensateModel } from './compensation/compensate-model';
import type { CompensateOptions, ResolvedCompensation } from './compensation/compensate-options';
import type { CompensationRecord } from './compensation/compensation-record';
import { resolveStepCompensation } from './compensation/resolve-step-compensation';

/**
 * What a run optimises: compute (`'flops'`), size (`'params'`), measured speed (`'latency'`) or
 * bytes on disk (`'size'`, measured at the deploy precision; see `targetSize`). The default
 * `'cost'` ranking charges channels by this cost (latency by each layer's time measured on the
 * backend at batch 1, see `measureLayerLatency`; size by params, which bytes are proportional to
 * at one precision); a criterion's `flopsPenalty` charges latency by FLOPs.
 *
 * @example
 * ```ts
 * const objective: Objective = 'params';
 * ```
 */
export type Objective = 'flops' | 'params' | 'latency' | 'size';

/**
 * Options of {@link createPruner}.
 *
 * @example
 * ```ts
 * const options: PrunerOptions = { criterion: criteria.taylor(), schedule: { channelsPerStep: { fraction: 0.1 } }, data: { x: xVal, y: yVal }, loss: 'categoricalCrossentropy' };
 * ```
 */
export interface PrunerOptions {
  /** How channels are ranked. Default: `criteria.taylor()`. */
  criterion?: Criterion;
  /** How many channels each step removes and from where. Default: see {@link ScheduleOptions}. */
  schedule?: ScheduleOptions;
  /**
   * What a channel costs: in the default `'cost'` ranking (score per cost share) and for a
   * criterion's `flopsPenalty` (params for `'params'` and `'size'`, FLOPs otherwise). Default: `'flops'`.
   */
  objective?: Objective;
  /** Scoring data for data-based criteria (a few hundred labelled examples). Default: none. */
  data?: DataSource;
  /** Loss for gradient-based criteria. Default: the loss the input model was compiled with (used for every step). */
  loss?: LossSpec | LossSpec[];
  /**
   * Scoring batch size. Default: 32, or fewer when one example's activations are large (as many
   * as fit in 1 GiB, three times the activations for gradient criteria).
   */
  batchSize?: number;
  /**
   * The shape of one example (no batch axis) at which each step's `flops` is counted, for models
   * whose input size is not fixed (`[null, null, null, 3]`). Default: the model's own input shape.
   */
  inputShape?: InputShape;
  /**
   * Repair each step's model before it is returned, without labels: the layers that read removed
   * channels are refit by least squares to reproduce the model before the step on calibration
   * samples, and the BatchNorm statistics downstream are corrected (see {@link CompensateOptions}).
   * `true` uses `data` (the scoring data; its labels are ignored); an object may give its own
   * `data`, `damping`, `refit`, `batchNorm`, `batchSize` or `seed`. A layer short of samples is
   * not refit and is listed in the step's `compensation.skipped`. Default: off.
   */
  compensate?: boolean | Partial<CompensateOptions>;
}

/**
 * What one {@link Pruner.step} did.
 *
 * @example
 * ```ts
 * const pruner = createPruner(model, { criterion: criteria.l1Norm() });
 * const { model: smaller, removedPerGroup, flops }: PrunerStep = await pruner.step();
 * ```
 */
export interface PrunerStep {
  /** The new, smaller model (uncompiled), or `null` when every group is at its floor. You own it. */
  model: tf.LayersModel | null;
  /** The channels removed, per group id (indices of the model before the step). */
  removals: Removals;
  /** Channels removed per group id and per producer layer. */
  removedPerGroup: Record<string, number>;
  removedPerLayer: Record<string, number>;
  /** Channels of every prunable group after the step. */
  channels: Record<string, number>;
  /** Size and cost of the new model. */
  params: number;
  flops: number;
  /** The scores the step ranked by (normalised as the criterion says). */
  scores: GroupScores;
  /**
   * Set when the step did not rank by the given criterion: why, and by what it ranked instead
   * (the loop falls back to `obs` when a criterion's scores are degenerate).
   */
  warning?: string;
  /** What compensation did, when the pruner compensates (see {@link PrunerOptions.compensate}). */
  compensation?: CompensationRecord;
  /** Wall-clock seconds per phase; `compensation` when the step compensated. */
  seconds: { scoring: number; surgery: number; compensation?: number };
}

/**
 * A stepper for your own training loop: each `step()` scores the current model, removes one
 * step's worth of channels and returns the new model. Fine-tune it however you like, then call
 * `step()` again: the pruner continues from the last model it returned.
 *
 * @example
 * ```ts
 * const pruner = createPruner(model, { data: { x: xVal, y: yVal }, loss: 'categoricalCrossentropy' });
 * for (let i = 0; i < 5; i++) {
 *   const { model: smaller } = await pruner.step();
 *   if (!smaller) break;
 *   smaller.compile({ optimizer: tf.train.adam(1e-4), loss: 'categoricalCrossentropy' });
 *   await smaller.fit(xTrain, yTrain, { epochs: 1, verbose: 0 });
 * }
 * ```
 */
export interface Pruner {
  /** The model the next step starts from (the input model, then the last one returned). */
  readonly model: tf.LayersModel;
  /** Channels of every prunable group of the original model (the base of `maxRatio`). */
  readonly originalSizes: Readonly<Record<string, number>>;
  /**
   * Scores, removes and returns the new model (the previous one is not disposed: you own it).
   * Throws `DEGENERATE_SCORES` when the criterion's scores cannot rank the channels (all equal,
   * e.g. all zero, or a gradient criterion on data labelled with the model's own outputs).
   */
  step(): Promise<PrunerStep>;
}

/** Channels removed per producer layer by a plan. */
function removedPerLayer(model: tf.LayersModel, removals: Removals): Record<string, number> {
  const resolved = resolveModel(model);
  const index = channelIndex(resolved);
  const nodes = new Map(resolved.flow.graph.nodes.map((n) => [n.name, n]));
  const out: Record<string, number> = {};
  for (const [id, indices] of Object.entries(removals)) {
    const removed = new Set(Array.from(indices as ArrayLike<number>));
    for (const m of resolved.groupById.get(id)!.members) {
      if (m.role !== 'producer') continue;
      const positions = index.positionsOf(nodes.get(m.layer)!.outputs[0], id);
      const n = Array.from(positions).filter((c) => removed.has(c)).length;
      if (n > 0) out[m.layer] = (out[m.layer] ?? 0) + n;
    }
  }
  return out;
}

/** The plan's step, on a model whose group sizes are known. Internal: also used by the loop. */
export async function pruneStep(
  model: tf.LayersModel,
  criterion: Criterion,
  schedule: ResolvedSchedule,
  originalSizes: Readonly<Record<string, number>>,
  scoring: {
    data?: DataSource;
    loss?: LossSpec | LossSpec[];
    batchSize?: number;
    objective: Objective;
    inputShape?: number[][];
    /** Ranks by this criterion (on this data) when `criterion`'s scores are degenerate; without it, they are refused. */
    fallback?: { criterion: Criterion; data: () => DataSource };
    /** Repairs the new model against `model` on calibration samples. */
    compensation?: ResolvedCompensation | null;
    /** Heads error messages. */
    where?: string;
    /**
     * Whether a model of these counts meets the run's cost target: a step whose plan would meet
     * it removes only the fewest channels (in ranking order) that still meet it.
     */
    land?: (cost: { flops: number; params: number }) => boolean;
  },
): Promise<PrunerStep> {
  const at = scoring.inputShape ? { inputShape: scoring.inputShape } : {};
  const groups = analyze(model).groups;
  const candidates = groups.filter((g) => g.prunable && !schedule.exclude(g)).map((g) => g.id);
  const t0 = performance.now();
  const ranked = candidates.length === 0 ? { scores: {} } : await rankingScores(model, criterion, {
    data: scoring.data,
    loss: scoring.loss,
    batchSize: scoring.batchSize,
    groups: candidates,
    penaltyCost: scoring.objective === 'params' || scoring.objective === 'size' ? 'params' : 'flops',
  }, scoring.fallback);
  const scores: GroupScores = ranked.scores;
  const warning: { warning?: string } = ranked.warning === undefined ? {} : { warning: ranked.warning };
  const costKind = scoring.objective === 'params' || scoring.objective === 'size' ? 'params' : scoring.objective === 'latency' ? 'latency' : 'flops';
  const effective: ResolvedSchedule = schedule.ranking === 'cost' && !schedule.rankingGiven && (criterion.flopsPenalty ?? 0) > 0 ? { ...schedule, ranking: 'global' } : schedule;
  const budgeted = 'cost' in schedule.channelsPerStep;
  const priced = (effective.ranking === 'cost' || budgeted) && Object.keys(scores).length > 0 ? await channelCosts(model, Object.keys(scores), costKind, scoring.inputShape) : undefined;
  const scoringSeconds = (performance.now() - t0) / 1000;
  let costs: GroupScores | undefined;
  if (priced !== undefined && 'costs' in priced) costs = priced.costs;
  else if (priced !== undefined) {
    // Costs that are not known for every layer (a model whose input size is not fixed, counted
    // without an inputShape) would make channels look free: rank by score alone and say so.
    const shown = priced.unknown.slice(0, 3).join(', ') + (priced.unknown.length > 3 ? ', ...' : '');
    if (budgeted) {
      throw new PruneError('INVALID_OPTION', `${scoring.where ?? 'createPruner'}: schedule.channelsPerStep { cost } needs every channel's cost, but the FLOPs of ${shown} are unknown. For a model whose input size is not fixed, pass inputShape (e.g. inputShape: [128, 128, 3]); or give channelsPerStep as { fraction }.`);
    }
    const note = `ranked by score alone: the FLOPs of ${shown} are unknown, so channels cannot be ranked by cost (for a model whose input size is not fixed, pass inputShape, e.g. inputShape: [128, 128, 3])`;
    warning.warning = warning.warning === undefined ? note : `${warning.warning}; ${note}`;
  }
  const plan = (count?: number): Removals => planStep(groups, scores, originalSizes, costs ? effective : { ...effective, ranking: effective.ranking === 'cost' ? 'global' : effective.ranking }, { ...(count !== undefined ? { count } : {}), ...(costs ? { costs } : {}) });
  let removals = plan();
  let landed: tf.LayersModel | null = null;
  let surgeryExtra = 0;
  if (scoring.land !== undefined && Object.keys(removals).length > 0) {
    // Land on the target: the fewest channels, in plan order, whose removal meets it.
    const t = performance.now();
    const found = landOnTarget(model, removals, plan, scoring.land, at);
    removals = found.removals;
    landed = found.model;
    surgeryExtra = (performance.now() - t) / 1000;
  }
  const removedPerGroup = Object.fromEntries(Object.entries(removals).map(([id, r]) => [id, r.length]));
  const channels = Object.fromEntries(groups.filter((g) => g.prunable).map((g) => [g.id, g.size - (removedPerGroup[g.id] ?? 0)]));
  if (Object.keys(removals).length === 0) {
    return { model: null, removals, removedPerGroup, removedPerLayer: {}, channels, params: countParams(model).total, flops: countFlops(model, at).total, scores, ...warning, seconds: { scoring: scoringSeconds, surgery: 0 } };
  }
  const t1 = performance.now();
  const resolved = resolveModel(model);
  const removed = validateRemovals(resolved, removals);
  const next = landed ?? cutModel(model, resolved, removed);
  const surgerySeconds = (performance.now() - t1) / 1000 + surgeryExtra;
  let compensation: CompensationRecord | undefined;
  if (scoring.compensation) {
    try {
      compensation = await compensateModel(model, resolved, removed, next, scoring.compensation, scoring.where ?? 'createPruner');
    } catch (e) {
      next.dispose();
      throw e;
    }
  }
  return {
    model: next,
    removals,
    removedPerGroup,
    removedPerLayer: removedPerLayer(model, removals),
    channels,
    params: countParams(next).total,
    flops: countFlops(next, at).total,
    scores,
    ...warning,
    ...(compensation ? { compensation } : {}),
    seconds: { scoring: scoringSeconds, surgery: surgerySeconds, ...(compensation ? { compensation: compensation.seconds } : {}) },
  };
}

/** Checks the options shared by the stepper and the loop. */
export function checkObjective(objective: unknown, where: string): Objective {
  const o = objective ?? 'flops';
  if (o !== 'flops' && o !== 'params' && o !== 'latency' && o !== 'size') {
    throw new PruneError('INVALID_OPTION', `${where}: objective must be 'flops', 'params', 'latency' or 'size'; got ${JSON.stringify(objective)}.`);
  }
  return o;
}

/**
 * Creates a level-2 pruner: the ranking and surgery of the loop, one step at a time, for people
 * who own their training loop. The input model is never modified; each step returns a new model.
 *
 * @example
 * ```ts
 * import { createPruner, criteria } from 'tfjs-prune';
 *
 * const pruner = createPruner(model, { criterion: criteria.l1Norm(), schedule: { channelsPerStep: 8 } });
 * const { model: smaller, removedPerGroup } = await pruner.step();
 * ```
 */
export function createPruner(model: tf.LayersModel, options: PrunerOptions = {}): Pruner {
  assertLayersModel(model, 'model');
  if (options === null || typeof options !== 'object') throw new PruneError('INVALID_OPTION', `createPruner: options must be an object; got ${String(options)}.`);
  const known = ['criterion', 'schedule', 'objective', 'data', 'loss', 'batchSize', 'inputShape', 'compensate'];
  const unknown = Object.keys(options).filter((k) => !known.includes(k));
  if (unknown.length > 0) {
    throw new PruneError('INVALID_OPTION', `createPruner: unknown option(s) ${unknown.join(', ')}; known options: ${known.join(', ')} (channelsPerStep, minChannels... go inside schedule).`);
  }
  const criterion = options.criterion ?? criteria.taylor();
  assertCriterion(criterion, 'createPruner: criterion');
  const schedule = resolveSchedule(options.schedule);
  const objective = checkObjective(options.objective, 'createPruner');
  // The models steps return are uncompiled: keep the input's compiled loss for later steps.
  const loss = options.loss ?? ((model as unknown as { loss?: LossSpec | LossSpec[] }).loss || undefined);
  if (options.batchSize !== undefined && (!Number.isInteger(options.batchSize) || options.batchSize < 1)) {
    throw new PruneError('INVALID_OPTION', `createPruner: batchSize must be a positive integer; got ${String(options.batchSize)}.`);
  }
  if (criterion.needs.length > 0 && options.data === undefined) {
    throw new PruneError('MISSING_DATA', `createPruner: criterion '${criterion.name}' needs scoring data (${criterion.needs.join(', ')}); pass data: { x, y }, or use a weight-based criterion such as criteria.l1Norm().`);
  }
  const labelsNeeded = needsLabels(criterion.needs);
  if (options.data !== undefined) checkDataSource(model, options.data, 'createPruner: data', labelsNeeded, labelsNeeded ? { loss } : undefined);
  const inputShape = options.inputShape === undefined ? undefined : resolveInputShape(model, options.inputShape, 'createPruner');
  const compensation = resolveStepCompensation(
    options.compensate,
    options.data === undefined ? undefined : () => options.data!,
    'createPruner',
    'give data (the scoring data, whose labels are ignored) or compensate: { data: { x: samples } }.',
  );
  if (compensation && compensation.data !== options.data) checkDataSource(model, compensation.data, 'createPruner: compensate.data', false);
  const originalSizes = Object.fromEntries(analyze(model).groups.filter((g) => g.prunable).map((g) => [g.id, g.size]));
  let current = model;
  return {
    get model() {
      return current;
    },
    originalSizes,
    async step() {
      const result = await pruneStep(current, criterion, schedule, originalSizes, { data: options.data, loss, batchSize: options.batchSize, objective, inputShape, compensation, where: 'createPruner' });
      if (result.model) current = result.model;
      return result;
    },
  };
}
