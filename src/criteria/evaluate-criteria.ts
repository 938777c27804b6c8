import type * as tf from '@tensorflow/tfjs';
import { PruneError } from '../errors';
import type { DataSource } from '../data/data-source';
import type { LossSpec } from '../data/per-example-loss';
import type { Criterion, GroupScores } from './criterion';
import { normalizeGroup } from './normalize-scores';
import { oracle as oracleCriterion } from './oracle';
import { assertKnownKeys, checkScores, prepareRun } from './score-groups';
import { spearman } from './spearman';

/**
 * Options of {@link evaluateCriteria}.
 *
 * @example
 * ```ts
 * const options: EvaluateCriteriaOptions = { oracle: criteria.oracle({ mode: 'loss' }), batchSize: 64 };
 * ```
 */
export interface EvaluateCriteriaOptions {
  /** The reference ranking. Default: `criteria.oracle({ mode: 'abs' })`, as in Molchanov et al. 2017. */
  oracle?: Criterion;
  /** Loss for gradients and the oracle. Default: the model's compiled loss. */
  loss?: LossSpec | LossSpec[];
  /** Examples per pass when `data` is tensors. Default: 32. */
  batchSize?: number;
  /** Ids of the groups to compare on. Default: every prunable group. */
  groups?: readonly string[];
}

/**
 * One criterion's agreement with the oracle.
 *
 * @example
 * ```ts
 * const { rows } = await evaluateCriteria(model, { x: xVal, y: yVal }, [criteria.taylor(), criteria.l1Norm()]);
 * const best: CriterionEvaluation = rows.reduce((a, b) => (b.perLayer > a.perLayer ? b : a));
 * ```
 */
export interface CriterionEvaluation {
  /** The criterion's `name`. */
  criterion: string;
  /** Mean over groups of the Spearman correlation within the group (groups where either ranking is constant are left out). */
  perLayer: number;
  /** Spearman correlation over all channels of all groups, raw scores (no normalisation). */
  global: number;
  /** Spearman correlation over all channels of all groups, scores L2-normalised per group first. */
  globalNormalized: number;
  /** Spearman correlation per group id (`NaN` where either ranking is constant). */
  layers: Record<string, number>;
  /** Seconds spent in the criterion's `score` (the shared pass over the data is in `passSeconds`). */
  seconds: number;
  /** The criterion's raw scores per group id (before normalisation and penalty). */
  scores: GroupScores;
}

/**
 * What {@link evaluateCriteria} returns.
 *
 * @example
 * ```ts
 * const result: EvaluateCriteriaResult = await evaluateCriteria(model, { x: xVal, y: yVal }, [criteria.taylor(), criteria.apoz()]);
 * for (const r of result.rows) console.log(r.criterion, r.perLayer.toFixed(2), r.globalNormalized.toFixed(2));
 * ```
 */
export interface EvaluateCriteriaResult {
  rows: CriterionEvaluation[];
  /** Name of the reference criterion. */
  oracle: string;
  /** The reference's raw scores per group id. */
  oracleScores: GroupScores;
  /** Seconds of the shared pass over the data (activations, gradients) and of the oracle. */
  passSeconds: number;
  oracleSeconds: number;
}

const concat = (scores: GroupScores, ids: readonly string[]): Float32Array => {
  const out = new Float32Array(ids.reduce((n, id) => n + scores[id].length, 0));
  let o = 0;
  for (const id of ids) {
    out.set(scores[id], o);
    o += scores[id].length;
  }
  return out;
};

/**
 * Compares criteria with the oracle (the measured loss change of removing each channel alone) by
 * Spearman rank correlation, as in Table 1 of Molchanov et al. 2017: within each group (averaged
 * over groups: `perLayer`), and over all channels at once, with raw scores (`global`) and with
 * scores L2-normalised per group (`globalNormalized`), the latter two judging a global ranking.
 * All criteria share one pass over the data; the oracle costs one forward pass per channel.
 *
 * @param model A built `tf.LayersModel`; not modified.
 * @param data Scoring data with labels.
 * @param criteriaList The criteria to judge; their names label the rows.
 *
 * @example
 * ```ts
 * import { criteria, evaluateCriteria } from 'tfjs-prune';
 *
 * const { rows } = await evaluateCriteria(model, { x: xVal, y: yVal }, [criteria.taylor(), criteria.l1Norm(), criteria.random()]);
 * console.table(rows.map(({ criterion, perLayer, global, globalNormalized }) => ({ criterion, perLayer, global, globalNormalized })));
 * ```
 */
export async function evaluateCriteria(
  model: tf.LayersModel,
  data: DataSource,
  criteriaList: readonly Criterion[],
  options: EvaluateCriteriaOptions = {},
): Promise<EvaluateCriteriaResult> {
  const where = 'evaluateCriteria';
  if (!Array.isArray(criteriaList) || criteriaList.length === 0) {
    throw new PruneError('INVALID_OPTION', `${where}: give a non-empty array of criteria, e.g. [criteria.taylor(), criteria.l1Norm()].`);
  }
  if (data === undefined || data === null) {
    throw new PruneError('MISSING_DATA', `${where}: the oracle needs scoring data with labels; pass { x, y } or a dataset.`);
  }
  if (options === null || typeof options !== 'object') throw new PruneError('INVALID_OPTION', `${where}: options must be an object; got ${String(options)}.`);
  assertKnownKeys(options, ['oracle', 'loss', 'batchSize', 'groups'], where);
  const reference = options.oracle ?? oracleCriterion({ mode: 'abs' });
  const passStart = performance.now();
  const { groups, run } = await prepareRun(model, [reference, ...criteriaList], { ...options, data }, where);
  const passSeconds = (performance.now() - passStart) / 1000;
  try {
    const ids = groups.map((g) => g.id);
    const oracleStart = performance.now();
    const truth = checkScores(reference, groups, await reference.score(run.input));
    const oracleSeconds = (performance.now() - oracleStart) / 1000;
    const truthAll = concat(truth, ids);
    const rows: CriterionEvaluation[] = [];
    for (const criterion of criteriaList) {
      const start = performance.now();
      const raw = checkScores(criterion, groups, await criterion.score(run.input));
      const seconds = (performance.now() - start) / 1000;
      const layers: Record<string, number> = {};
      const valid: number[] = [];
      for (const id of ids) {
        layers[id] = spearman(raw[id], truth[id]);
        if (!Number.isNaN(layers[id])) valid.push(layers[id]);
      }
      const normalized: GroupScores = Object.fromEntries(ids.map((id) => [id, normalizeGroup(raw[id], 'l2')]));
      rows.push({
        criterion: criterion.name,
        perLayer: valid.length > 0 ? valid.reduce((a, b) => a + b, 0) / valid.length : NaN,
        global: spearman(concat(raw, ids), truthAll),
        globalNormalized: spearman(concat(normalized, ids), truthAll),
        layers,
        seconds,
        scores: raw,
      });
    }
    return { rows, oracle: reference.name, oracleScores: truth, passSeconds, oracleSeconds };
  } finally {
    run.dispose();
  }
}
