import type * as tf from '@tensorflow/tfjs';
import type { ResolvedGroup } from '../graph/find-groups';
import { lockedGroupHint } from '../graph/locked-group-hint';
import { resolveModel, type ResolvedModel } from '../graph/resolve-model';
import { PruneError } from '../errors';
import { checkDataSource, isDataset, type DataSource, type TensorData } from '../data/data-source';
import { mapOutOfMemory } from '../util/out-of-memory';
import { defaultScoringBatchSize } from './scoring-batch-size';
import { unscaledBatchNorms, withBatchNormScale } from '../model/batch-norm-scale';
import { perExampleLoss, type LossSpec } from '../data/per-example-loss';
import { channelFlopsShare } from './channel-flops';
import { channelParamsShare } from './channel-params';
import type { Criterion, CriterionNeed, GroupScores } from './criterion';
import { assertNormalization, normalizeGroup } from './normalize-scores';
import { assertNeeds, createScoringRun, type ScoringRun } from './scoring-run';

/**
 * Options of {@link scoreGroups}.
 *
 * @example
 * ```ts
 * const options: ScoreGroupsOptions = { data: { x: xVal, y: yVal }, loss: 'categoricalCrossentropy', batchSize: 64 };
 * ```
 */
export interface ScoreGroupsOptions {
  /**
   * Scoring data, for criteria that need activations, gradients or evaluations: `{ x, y }` tensors
   * (cut into batches of `batchSize`) or a batched `tf.data.Dataset` of `{ xs, ys }`. A few hundred
   * validation examples are usually enough. Default: none (weight-based criteria only).
   */
  data?: DataSource;
  /** Ids of the groups to score (prunable groups of `analyze(model)`). Default: every prunable group. */
  groups?: readonly string[];
  /** Loss for gradients and evaluations (see {@link LossSpec}). Default: the model's compiled loss. */
  loss?: LossSpec | LossSpec[];
  /**
   * Examples per forward/backward pass when `data` is tensors; bounds memory. Default: 32, or
   * fewer when one example's activations are large (as many as fit in 1 GiB, counting three times
   * the activations when gradients are needed), e.g. a few for Taylor on 224x224 images.
   */
  batchSize?: number;
  /**
   * What the criterion's `flopsPenalty` charges for each channel: its share of the model's MACs
   * (`'flops'`) or of its weights (`'params'`). Default: `'flops'`.
   */
  penaltyCost?: 'flops' | 'params';
}

/** Throws an INVALID_OPTION PruneError naming the keys of `options` that are not in `known`. */
export function assertKnownKeys(options: object, known: readonly string[], where: string): void {
  const unknown = Object.keys(options).filter((k) => !known.includes(k));
  if (unknown.length > 0) {
    throw new PruneError('INVALID_OPTION', `${where}: unknown option(s) ${unknown.join(', ')}; known options: ${known.join(', ')} (names are case-sensitive).`);
  }
}

/** The option names {@link scoreGroups} takes. */
const SCORE_GROUPS_OPTIONS = ['data', 'groups', 'loss', 'batchSize', 'penaltyCost'] as const;

/** Throws a PruneError unless `c` is a usable criterion. */
export function assertCriterion(c: unknown, where: string): asserts c is Criterion {
  const crit = c as Partial<Criterion> | null;
  if (crit === null || typeof crit !== 'object' || typeof crit.name !== 'string' || crit.name === '' || typeof crit.score !== 'function') {
    throw new PruneError(
      'INVALID_OPTION',
      `${where}: a criterion must be an object with a non-empty \`name\`, \`needs\` and a \`score(input)\` function (e.g. criteria.taylor()); got ${c === null ? 'null' : typeof c}.`,
    );
  }
  assertNeeds(crit.needs, `${where} (criterion '${crit.name}')`);
  if (crit.normalize !== undefined) assertNormalization(crit.normalize, `${where} (criterion '${crit.name}')`);
  if (crit.flopsPenalty !== undefined && !(typeof crit.flopsPenalty === 'number' && Number.isFinite(crit.flopsPenalty) && crit.flopsPenalty >= 0)) {
    throw new PruneError('INVALID_OPTION', `${where} (criterion '${crit.name}'): flopsPenalty must be a finite number >= 0; got ${String(crit.flopsPenalty)}.`);
  }
}

/** The groups to score: the ones asked for (checked), else every prunable group. */
export function selectGroups(resolved: ResolvedModel, ids: readonly string[] | undefined, where: string): ResolvedGroup[] {
  const prunable = resolved.groups.filter((g) => g.prunable);
  if (ids === undefined) return prunable;
  if (!Array.isArray(ids)) throw new PruneError('INVALID_OPTION', `${where}: groups must be an array of group ids; got ${typeof ids}.`);
  return ids.map((id) => {
    const g = resolved.groupById.get(id);
    if (!g) {
      throw new PruneError('UNKNOWN_GROUP', `${where}: no pruning group has id '${id}'. Prunable groups: ${prunable.map((p) => p.id).join(', ') || '(none)'}.`);
    }
    if (!g.prunable) {
      throw new PruneError('GROUP_NOT_PRUNABLE', `${where}: group '${id}' cannot be pruned (${g.reason}), so it is not scored. ${lockedGroupHint(g.reason, prunable.map((p) => p.id))}`);
    }
    return g;
  });
}

/** Checks a criterion's raw scores: one finite number per channel of every group asked for. */
export function checkScores(criterion: Criterion, groups: readonly ResolvedGroup[], scores: unknown): GroupScores {
  const name = criterion.name;
  if (scores === null || typeof scores !== 'object') {
    throw new PruneError('INVALID_SCORES', `Criterion '${name}' returned ${scores === null ? 'null' : typeof scores}; score() must return an object mapping group ids to Float32Arrays.`);
  }
  const record = scores as Record<string, unknown>;
  const wanted = new Set(groups.map((g) => g.id));
  const extra = Object.keys(record).filter((id) => !wanted.has(id));
  if (extra.length > 0) {
    throw new PruneError('INVALID_SCORES', `Criterion '${name}' returned scores for group(s) ${extra.join(', ')} that were not asked for; score exactly input.groups.`);
  }
  const out: GroupScores = {};
  for (const g of groups) {
    const v = record[g.id];
    if (!(v instanceof Float32Array) && !Array.isArray(v) && !ArrayBuffer.isView(v)) {
      throw new PruneError('INVALID_SCORES', `Criterion '${name}' returned no scores for group '${g.id}' (${g.size} channels); score every group of input.groups.`);
    }
    const arr = Float32Array.from(v as ArrayLike<number>);
    if (arr.length !== g.size) {
      throw new PruneError('INVALID_SCORES', `Criterion '${name}' returned ${arr.length} scores for group '${g.id}', which has ${g.size} channels; return one score per channel.`);
    }
    const bad = arr.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) {
      throw new PruneError(
        'INVALID_SCORES',
        `Criterion '${name}' returned ${arr[bad]} for channel ${bad} of group '${g.id}'; scores must be finite numbers. Check the data (NaN inputs or labels, a diverged model) or the criterion.`,
      );
    }
    out[g.id] = arr;
  }
  return out;
}

/** Applies a criterion's normalisation and FLOPs (or params) penalty to checked raw scores. */
export function finishScores(model: tf.LayersModel, resolved: ResolvedModel, criterion: Criterion, raw: GroupScores, cost: 'flops' | 'params' = 'flops'): GroupScores {
  const mode = criterion.normalize ?? 'l2';
  const out: GroupScores = {};
  for (const [id, v] of Object.entries(raw)) out[id] = normalizeGroup(v, mode);
  const lambda = criterion.flopsPenalty ?? 0;
  if (lambda > 0) {
    const share = cost === 'flops' ? channelFlopsShare(model, resolved, Object.keys(out)) : channelParamsShare(model, resolved, Object.keys(out));
    for (const id of Object.keys(out)) out[id] = out[id].map((v, c) => v - lambda * share[id][c]);
  }
  return out;
}

/** The union of the needs of several criteria. */
export function needsOf(criteriaList: readonly Criterion[]): Set<CriterionNeed> {
  return new Set(criteriaList.flatMap((c) => [...c.needs]));
}

/** Validates the common options and prepares a scoring run for the union of the criteria's needs. */
export async function prepareRun(
  model: tf.LayersModel,
  criteriaList: readonly Criterion[],
  options: ScoreGroupsOptions,
  where: string,
): Promise<{ resolved: ResolvedModel; groups: ResolvedGroup[]; run: ScoringRun }> {
  const resolved = resolveModel(model);
  criteriaList.forEach((c) => assertCriterion(c, where));
  const groups = selectGroups(resolved, options.groups, where);
  const needs = needsOf(criteriaList);
  const gradients = needs.has('gradients') || needs.has('weightGradients');
  const exampleShapes = options.data !== undefined && !isDataset(options.data) && typeof options.data === 'object' && options.data !== null && 'x' in options.data
    ? (Array.isArray((options.data as TensorData).x) ? ((options.data as TensorData).x as tf.Tensor[]) : [(options.data as TensorData).x as tf.Tensor]).map((t) => t.shape.slice(1))
    : null;
  const batchSize = options.batchSize ?? (needs.size > 0 ? defaultScoringBatchSize(model, exampleShapes, gradients) : 32);
  if (options.penaltyCost !== undefined && options.penaltyCost !== 'flops' && options.penaltyCost !== 'params') {
    throw new PruneError('INVALID_OPTION', `${where}: penaltyCost must be 'flops' or 'params'; got ${JSON.stringify(options.penaltyCost)}.`);
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new PruneError('INVALID_OPTION', `${where}: batchSize must be a positive integer; got ${String(options.batchSize)}.`);
  }
  const lossNeeded = needs.has('gradients') || needs.has('weightGradients') || needs.has('evaluations');
  if (options.data !== undefined) checkDataSource(model, options.data, `${where}: data`, lossNeeded, lossNeeded ? { loss: options.loss } : undefined);
  const tensorX = options.data !== undefined && !isDataset(options.data) ? (options.data as TensorData).x : undefined;
  const examples = tensorX === undefined ? batchSize : (Array.isArray(tensorX) ? tensorX[0] : tensorX).shape[0];
  const perPass = Math.min(batchSize, examples);
  const fix = options.data !== undefined && isDataset(options.data)
    ? "Make the dataset's batches smaller (dataset.unbatch().batch(n) with a smaller n)."
    : `Lower the scoring batch size (batchSize here, scoringBatchSize of pruneIteratively; e.g. ${Math.max(1, Math.floor(perPass / 4))}), or score smaller inputs.`;
  // TF.js has no gradient through a BatchNormalization without scale: score an equal copy with gamma = 1.
  const unscaled = gradients ? unscaledBatchNorms(model) : [];
  if (unscaled.length === 0) {
    const run = await mapOutOfMemory(
      () => createScoringRun(model, resolved, groups, needs, { data: options.data, loss: options.loss, batchSize, where }),
      where,
      options.data !== undefined && isDataset(options.data) ? 'scoring a batch of the dataset' : `scoring a batch of ${perPass} examples`,
      fix,
    );
    return { resolved, groups, run };
  }
  const loss = options.loss ?? ((model as unknown as { loss?: LossSpec | LossSpec[] }).loss || undefined);
  if (lossNeeded) perExampleLoss(model, loss); // MISSING_LOSS before the copy
  const scaled = withBatchNormScale(model, unscaled);
  try {
    const scaledResolved = resolveModel(scaled);
    const scaledGroups = groups.map((g) => scaledResolved.groupById.get(g.id)!);
    const run = await mapOutOfMemory(
      () => createScoringRun(scaled, scaledResolved, scaledGroups, needs, { data: options.data, loss, batchSize, where }),
      where,
      options.data !== undefined && isDataset(options.data) ? 'scoring a batch of the dataset' : `scoring a batch of ${perPass} examples`,
      fix,
    );
    return {
      resolved: scaledResolved,
      groups: scaledGroups,
      run: {
        input: run.input,
        dispose: () => {
          run.dispose();
          scaled.dispose();
        },
      },
    };
  } catch (e) {
    scaled.dispose();
    throw e;
  }
}

/**
 * Scores every channel of every prunable group of `model` (or of the groups asked for) with a
 * criterion; higher means keep. Data-based criteria get one pass over `data` (forward, and backward
 * through per-example gates when gradients are needed), in inference mode; the scores are then
 * checked (one finite number per channel), normalised per group (`criterion.normalize`, default
 * `'l2'`) and penalised by FLOPs (`criterion.flopsPenalty`). Neither the model nor the data is
 * modified; no tensor is left behind.
 *
 * @param model A built `tf.LayersModel`.
 * @param criterion A built-in from `criteria.*` or your own {@link Criterion}.
 * @returns One `Float32Array` per group id, one score per channel.
 * @throws PruneError `MISSING_DATA` when the criterion needs data (or labels) that were not given,
 *   `DATA_MISMATCH` when the data does not fit the model, `MISSING_LOSS` when a loss is needed and
 *   the model is not compiled, `INVALID_SCORES` when the criterion returns a wrong length or NaN,
 *   `UNKNOWN_GROUP` / `GROUP_NOT_PRUNABLE` for bad `groups`, `INVALID_OPTION` for a bad criterion,
 *   loss or option, `NOT_APPLICABLE` when the criterion cannot score a group (`bnScale` without BN),
 *   `NOT_A_LAYERS_MODEL` / `MODEL_NOT_BUILT` for a bad model.
 *
 * @example
 * ```ts
 * import { analyze, criteria, prune, scoreGroups } from 'tfjs-prune';
 *
 * const scores = await scoreGroups(model, criteria.taylor(), { data: { x: xVal, y: yVal }, loss: 'categoricalCrossentropy' });
 * // Remove the 2 lowest-scoring channels of the first group.
 * const [id] = Object.keys(scores);
 * const order = Array.from(scores[id].keys()).sort((a, b) => scores[id][a] - scores[id][b]);
 * const smaller = prune(model, { [id]: order.slice(0, 2) });
 * ```
 */
export async function scoreGroups(model: tf.LayersModel, criterion: Criterion, options: ScoreGroupsOptions = {}): Promise<GroupScores> {
  const where = 'scoreGroups';
  if (options === null || typeof options !== 'object') throw new PruneError('INVALID_OPTION', `${where}: options must be an object; got ${String(options)}.`);
  assertKnownKeys(options, SCORE_GROUPS_OPTIONS, where);
  const { resolved, groups, run } = await prepareRun(model, [criterion], options, where);
  try {
    const raw = checkScores(criterion, groups, await criterion.score(run.input));
    return finishScores(model, resolved, criterion, raw, options.penaltyCost ?? 'flops');
  } finally {
    run.dispose();
  }
}
