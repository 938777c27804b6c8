import type * as tf from '@tensorflow/tfjs';
import type { DataSource } from '../data/data-source';
import { PruneError } from '../errors';
import type { Criterion, GroupScores } from './criterion';
import { degenerateScores, labelsAreOwnOutputs } from './degenerate-scores';
import { checkScores, finishScores, prepareRun, type ScoreGroupsOptions } from './score-groups';

/** Raw (checked) and finished scores of one criterion, as `scoreGroups` computes them. */
async function scoresOf(model: tf.LayersModel, criterion: Criterion, options: ScoreGroupsOptions): Promise<{ raw: GroupScores; scores: GroupScores }> {
  const { resolved, groups, run } = await prepareRun(model, [criterion], options, 'scoreGroups');
  try {
    const raw = checkScores(criterion, groups, await criterion.score(run.input));
    return { raw, scores: finishScores(model, resolved, criterion, raw, options.penaltyCost ?? 'flops') };
  } finally {
    run.dispose();
  }
}

/**
 * Scores with `criterion`, refusing scores that cannot rank (`DEGENERATE_SCORES`: all equal within
 * every group, or a gradient criterion on labels the model already reproduces), or, with a
 * `fallback`, ranking by it instead and saying so in `warning`.
 */
export async function rankingScores(
  model: tf.LayersModel,
  criterion: Criterion,
  options: ScoreGroupsOptions,
  fallback: { criterion: Criterion; data: () => DataSource } | undefined,
): Promise<{ scores: GroupScores; warning?: string }> {
  const gradients = criterion.needs.some((n) => n === 'gradients' || n === 'weightGradients');
  let reason: string | null = null;
  if (gradients && options.data !== undefined && (await labelsAreOwnOutputs(model, options.data, 4, 'createPruner: data'))) {
    reason = "the scoring labels are the model's own outputs (as when they are taken from the original model), so the loss gradient is zero";
  }
  const first = reason === null ? await scoresOf(model, criterion, options) : null;
  if (first !== null) reason = degenerateScores(first.raw);
  if (first !== null && reason === null) return { scores: first.scores };
  const fix = "Rank by a criterion that needs no labels (criteria.obs() or criteria.activationStd(), or a weight criterion such as criteria.l1Norm()), or score against real labels.";
  if (fallback === undefined || fallback.criterion.name === criterion.name) {
    throw new PruneError('DEGENERATE_SCORES', `Criterion '${criterion.name}' cannot rank the channels: ${reason}; the ranking would follow group order instead of importance. ${fix}`);
  }
  const second = await scoresOf(model, fallback.criterion, { ...options, data: fallback.data() });
  const again = degenerateScores(second.raw);
  if (again !== null) {
    throw new PruneError('DEGENERATE_SCORES', `Criterion '${criterion.name}' cannot rank the channels (${reason}), and neither can '${fallback.criterion.name}' (${again}). ${fix}`);
  }
  return { scores: second.scores, warning: `criterion '${criterion.name}' could not rank the channels (${reason}); ranked by '${fallback.criterion.name}' instead` };
}

