import * as tf from '@tensorflow/tfjs';
import { scoreGroups } from '../../src/index';
import type { Criterion, GroupScores, LossSpec } from '../../src/index';

/**
 * One timed `scoreGroups` call and its sanity checks.
 *
 * @example
 * ```ts
 * const { ms, leakedTensors, nonFinite } = await timeScoring(model, criteria.taylor(), { data, loss, batchSize: 128 });
 * ```
 */
export interface TimedScoring {
  /** Wall time of the call, ms. */
  ms: number;
  /** `tf.memory().numTensors` after the call minus before (0 when nothing leaked). */
  leakedTensors: number;
  /** Group ids with a non-finite score (empty when all are finite). */
  nonFinite: string[];
  /** The scores. */
  scores: GroupScores;
}

/**
 * Options of {@link timeScoring} and {@link measureCriteriaCost}.
 *
 * @example
 * ```ts
 * const options: ScoringCostOptions = { data: { x, y }, loss: 'categoricalCrossentropy', batchSize: 128 };
 * ```
 */
export interface ScoringCostOptions {
  /** Scoring data (one tensor each). */
  data: { x: tf.Tensor; y: tf.Tensor };
  /** Loss for the data criteria. */
  loss: LossSpec;
  /** Examples per scoring pass, and per training step. */
  batchSize: number;
}

/**
 * Times one `scoreGroups(model, criterion, { data, loss, batchSize })` call, counting tensors
 * before and after and checking that every score is finite.
 *
 * @example
 * ```ts
 * const t = await timeScoring(model, criteria.oracle(), { data: { x, y }, loss: 'categoricalCrossentropy', batchSize: 128 });
 * console.log(t.ms);
 * ```
 */
export async function timeScoring(model: tf.LayersModel, criterion: Criterion, options: ScoringCostOptions): Promise<TimedScoring> {
  const before = tf.memory().numTensors;
  const start = performance.now();
  const scores = await scoreGroups(model, criterion, { data: options.data, loss: options.loss, batchSize: options.batchSize });
  const ms = performance.now() - start;
  const nonFinite = Object.entries(scores)
    .filter(([, v]) => !v.every(Number.isFinite))
    .map(([id]) => id);
  return { ms, leakedTensors: tf.memory().numTensors - before, nonFinite, scores };
}

/**
 * What {@link measureCriteriaCost} measured for one criterion.
 *
 * @example
 * ```ts
 * console.log(`${row.criterion}: ${row.perBatchMs.toFixed(1)} ms per batch, ${row.ratio.toFixed(2)}x a training step`);
 * ```
 */
export interface CriterionCost {
  criterion: string;
  needs: readonly string[];
  /** Wall time of each timed `scoreGroups` call, ms. */
  callMs: number[];
  /** Median of `callMs`. */
  medianCallMs: number;
  /** `medianCallMs / batches`. */
  perBatchMs: number;
  /** `perBatchMs` / the median training step. */
  ratio: number;
}

/**
 * What {@link measureCriteriaCost} returns.
 *
 * @example
 * ```ts
 * const taylor = cost.rows.find((r) => r.criterion === 'taylor')!;
 * console.log(taylor.ratio <= 2 ? 'target met' : 'target missed');
 * ```
 */
export interface CriteriaCostResult {
  batchSize: number;
  /** Batches per scoring call: `ceil(examples / batchSize)`. */
  batches: number;
  /** Every timed `trainOnBatch` call, ms. */
  trainStepMs: number[];
  medianTrainStepMs: number;
  rows: CriterionCost[];
  /** Problems found (tensor leaks, non-finite scores), one line each. */
  problems: string[];
}

/**
 * Median of a non-empty list.
 *
 * @example
 * ```ts
 * median([3, 1, 2]); // 2
 * ```
 */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Cost of scoring, relative to training: each criterion's `scoreGroups` time on the scoring data
 * divided by the number of batches, against one `trainer.trainOnBatch` step on a batch of the same
 * size cut from the same data. `trainer` must be a compiled copy of `model` (its weights change;
 * `model`'s must not). Runs are interleaved to spread machine-load changes over everything alike:
 * after `warmup` untimed rounds, each of `reps` rounds does, for every criterion in turn, one
 * timed training step (cycling through the batches) then one timed scoring call. Reports medians.
 *
 * @example
 * ```ts
 * const trainer = await loadModelFiles(modelJson);
 * trainer.compile({ optimizer: tf.train.adam(1e-4), loss: 'categoricalCrossentropy' });
 * const cost = await measureCriteriaCost(model, trainer, [criteria.taylor(), criteria.l1Norm()], { data: { x, y }, loss: 'categoricalCrossentropy', batchSize: 128 }, 5);
 * ```
 */
export async function measureCriteriaCost(
  model: tf.LayersModel,
  trainer: tf.LayersModel,
  criteriaList: readonly Criterion[],
  options: ScoringCostOptions,
  reps: number,
  warmup = 1,
): Promise<CriteriaCostResult> {
  const n = options.data.x.shape[0];
  const batches = Math.ceil(n / options.batchSize);
  const xs: tf.Tensor[] = [];
  const ys: tf.Tensor[] = [];
  for (let b = 0; b < batches; b++) {
    const size = Math.min(options.batchSize, n - b * options.batchSize);
    xs.push(options.data.x.slice(b * options.batchSize, size));
    ys.push(options.data.y.slice(b * options.batchSize, size));
  }
  const problems: string[] = [];
  const callMs: number[][] = criteriaList.map(() => []);
  const trainStepMs: number[] = [];
  let step = 0;
  const trainStep = async (): Promise<number> => {
    const b = step++ % batches;
    const start = performance.now();
    await trainer.trainOnBatch(xs[b], ys[b]);
    return performance.now() - start;
  };
  try {
    for (let round = 0; round < warmup + reps; round++) {
      const timed = round >= warmup;
      for (let i = 0; i < criteriaList.length; i++) {
        const trainMs = await trainStep();
        const t = await timeScoring(model, criteriaList[i], options);
        if (t.leakedTensors !== 0) problems.push(`${criteriaList[i].name} (batch ${options.batchSize}): ${t.leakedTensors} tensor(s) leaked by scoreGroups`);
        if (t.nonFinite.length > 0) problems.push(`${criteriaList[i].name} (batch ${options.batchSize}): non-finite scores in ${t.nonFinite.join(', ')}`);
        if (timed) {
          trainStepMs.push(trainMs);
          callMs[i].push(t.ms);
        }
      }
    }
  } finally {
    tf.dispose([...xs, ...ys]);
  }
  const medianTrainStepMs = median(trainStepMs);
  const rows = criteriaList.map((c, i): CriterionCost => {
    const medianCallMs = median(callMs[i]);
    const perBatchMs = medianCallMs / batches;
    return { criterion: c.name, needs: c.needs, callMs: callMs[i], medianCallMs, perBatchMs, ratio: perBatchMs / medianTrainStepMs };
  });
  return { batchSize: options.batchSize, batches, trainStepMs, medianTrainStepMs, rows, problems };
}
