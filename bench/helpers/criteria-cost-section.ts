import * as tf from '@tensorflow/tfjs';
import { criteria } from '../../src/index';
import type { Criterion } from '../../src/index';
import { loadModelFiles } from '../../examples/shared/save-model-files';
import { measureCriteriaCost, timeScoring, type CriteriaCostResult } from './criteria-cost';

/**
 * Options of {@link costSection}.
 *
 * @example
 * ```ts
 * const options: CostSectionOptions = { data: { x, y }, loss: 'categoricalCrossentropy', batchSizes: [128, 32], reps: 5, check, log: console.log };
 * ```
 */
export interface CostSectionOptions {
  /** Scoring data. */
  data: { x: tf.Tensor; y: tf.Tensor };
  loss: string;
  /** Batch sizes to measure, each for scoring and training. */
  batchSizes: number[];
  /** Timed rounds per batch size (after one warm-up round). */
  reps: number;
  /** Records a sanity check (fails the run when `ok` is false). */
  check: (ok: boolean, what: string) => void;
  /** Progress lines. */
  log: (line: string) => void;
}

/**
 * What {@link costSection} measured, and its markdown.
 *
 * @example
 * ```ts
 * console.log(cost.lines.join('\n'));
 * ```
 */
export interface CostSectionResult {
  /** Per batch size; `oracleMs` is the one timed oracle call, over `oracleChannels` channels. */
  results: Array<CriteriaCostResult & { oracleMs: number; oracleChannels: number }>;
  /** Markdown table lines. */
  lines: string[];
}

/**
 * The cost part of the criteria benchmark: for each batch size B, a fresh copy of the model from
 * `modelJson` compiled with Adam 1e-4 (so the evaluated model never changes) is the trainer;
 * {@link measureCriteriaCost} interleaves its training steps with the criteria's `scoreGroups`
 * calls; then the oracle is timed once (`scoreGroups(model, criteria.oracle(), ...)`, one forward
 * pass over the data per channel). Returns the figures and a markdown table.
 *
 * @example
 * ```ts
 * const cost = await costSection(model, trained.modelJson, () => [criteria.taylor()], { data: { x, y }, loss: 'categoricalCrossentropy', batchSizes: [128], reps: 5, check, log: console.log });
 * ```
 */
export async function costSection(
  model: tf.LayersModel,
  modelJson: string,
  makeCriteria: () => Criterion[],
  options: CostSectionOptions,
): Promise<CostSectionResult> {
  const { data, loss, check, log } = options;
  const results: CostSectionResult['results'] = [];
  for (const batchSize of options.batchSizes) {
    const trainer = await loadModelFiles(modelJson);
    const optimizer = tf.train.adam(1e-4);
    trainer.compile({ optimizer, loss });
    try {
      log(`cost at batch ${batchSize}: ${options.reps} timed round(s) after 1 warm-up`);
      const cost = await measureCriteriaCost(model, trainer, makeCriteria(), { data, loss, batchSize }, options.reps);
      cost.problems.forEach((p) => check(false, p));
      check(cost.problems.length === 0, `batch ${batchSize}: no tensor leaked and all scores finite in ${cost.rows.length * (options.reps + 1)} scoreGroups calls`);
      const oracle = await timeScoring(model, criteria.oracle(), { data, loss, batchSize });
      check(oracle.leakedTensors === 0 && oracle.nonFinite.length === 0, `batch ${batchSize}: oracle scoreGroups leaked nothing, finite scores`);
      const oracleChannels = Object.values(oracle.scores).reduce((n, v) => n + v.length, 0);
      results.push({ ...cost, oracleMs: oracle.ms, oracleChannels });
      log(`  training step median ${cost.medianTrainStepMs.toFixed(1)} ms (${cost.trainStepMs.length} steps); oracle ${(oracle.ms / 1000).toFixed(1)} s`);
      for (const r of cost.rows) console.log(`  ${r.criterion}: ${r.perBatchMs.toFixed(1)} ms/batch = ${r.ratio.toFixed(2)}x (calls ${r.callMs.map((t) => t.toFixed(0)).join(', ')} ms)`);
      const taylor = cost.rows.find((r) => r.criterion === 'taylor');
      if (taylor) console.log(`Taylor at batch ${batchSize}: ${taylor.ratio.toFixed(2)}x a training step per batch (target <= 2x: ${taylor.ratio <= 2 ? 'met' : 'MISSED'})`);
    } finally {
      trainer.dispose();
      optimizer.dispose();
    }
  }
  return { results, lines: costTable(results) };
}

function costTable(costs: CostSectionResult['results']): string[] {
  if (costs.length === 0) return [];
  const head = costs.map((c) => `B=${c.batchSize} (${c.batches} batches): ms per call | ms per batch | x train step`).join(' | ');
  const lines = [`| criterion | needs | ${head} |`, `|---|---|${costs.map(() => '---|---|---|').join('')}`];
  lines.push(`| training step (trainOnBatch, Adam) | - | ${costs.map((c) => `- | ${c.medianTrainStepMs.toFixed(1)} | 1`).join(' | ')} |`);
  costs[0].rows.forEach((row, i) => {
    const cells = costs.map((c) => `${c.rows[i].medianCallMs.toFixed(0)} | ${c.rows[i].perBatchMs.toFixed(1)} | ${c.rows[i].ratio.toFixed(2)}`);
    lines.push(`| ${row.criterion} | ${row.needs.join(', ') || 'weights only'} | ${cells.join(' | ')} |`);
  });
  const oracleCells = costs.map((c) => `${c.oracleMs.toFixed(0)} | ${(c.oracleMs / c.batches).toFixed(0)} | ${(c.oracleMs / c.batches / c.medianTrainStepMs).toFixed(1)}`);
  lines.push(`| oracle (timed once) | evaluations | ${oracleCells.join(' | ')} |`);
  const perChannel = costs.map((c) => {
    const ms = c.oracleMs / c.oracleChannels;
    return `B=${c.batchSize}: ${ms.toFixed(1)} ms = ${(ms / c.medianTrainStepMs).toFixed(2)} training steps = ${(ms / c.batches / c.medianTrainStepMs).toFixed(3)} steps per batch`;
  });
  lines.push('', `Oracle per channel (${costs[0].oracleChannels} channels, one forward pass over the scoring data each): ${perChannel.join('; ')}.`);
  return lines;
}
