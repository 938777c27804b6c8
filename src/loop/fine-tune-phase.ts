import * as tf from '@tensorflow/tfjs';
import { compileModel, disposeModel } from '../finetune/compile-options';
import { copyBackUnscaled, unscaledBatchNorms, withBatchNormScale } from '../model/batch-norm-scale';
import type { Measurement } from '../report/measurement';
import { measureModel, validationMetrics, type MeasureSettings } from './measure-model';
import { weightsFinite } from '../finetune/weights-finite';
import { recalibrateGuarded, type RecalibrationOutcome } from '../finetune/guarded-recalibration';
import type { FineTuneContext, TrainingAmount } from '../finetune/fine-tune-options';
import { runFineTune, type FineTuneResult } from '../finetune/run-fine-tune';
import type { TrainingStream } from '../finetune/training-stream';
import type { LoopConfig } from './loop-config';

/** How the BatchNormalization re-estimation after a phase is restricted and judged. */
export interface RecalibrationGuard {
  /** BN layers the step's surgery changed (re-estimated when no training ran); null: every BN. */
  changed: ReadonlySet<string> | null;
  /** Lower is better (validation loss, or distance from the original's outputs); new statistics that make it worse are undone. */
  judge?: (model: tf.LayersModel) => Promise<number>;
}

/** Fine-tunes `model` (compiled) by the configured method; returns what happened. */
export async function fineTunePhase(
  cfg: Pick<LoopConfig, 'fineTune' | 'compile' | 'signal'>,
  model: tf.LayersModel,
  amount: Required<TrainingAmount> | null,
  stream: TrainingStream,
  context: FineTuneContext,
  guard: RecalibrationGuard = { changed: null },
): Promise<FineTuneResult & { batchNorm?: RecalibrationOutcome }> {
  const start = performance.now();
  const trains = cfg.fineTune.kind === 'function' || (amount !== null && (amount.steps > 0 || amount.epochs > 0));
  const unscaled = trains ? unscaledBatchNorms(model) : [];
  if (unscaled.length > 0) {
    // TF.js cannot train through a BatchNormalization without scale (tfjs issue 2868): train an
    // equal copy with gamma = 1 (frozen), then copy its weights back into the model as it was.
    const scaled = withBatchNormScale(model, unscaled);
    try {
      compileModel(scaled, cfg.compile);
      const result = await fineTunePhase(cfg, scaled, amount, stream, context, guard);
      copyBackUnscaled(scaled, model, unscaled);
      return { ...result, seconds: (performance.now() - start) / 1000 };
    } finally {
      disposeModel(scaled);
    }
  }
  if (cfg.fineTune.kind === 'function') {
    await cfg.fineTune.fn(model, context);
    return { steps: 0, diverged: !weightsFinite(model), aborted: cfg.signal?.aborted === true, meanLoss: NaN, seconds: (performance.now() - start) / 1000 };
  }
  // Pruning steps always end with the BN recalibration; initial/final phases only when they train.
  if (amount === null && context.phase !== 'step') return { steps: 0, diverged: false, aborted: false, meanLoss: NaN, seconds: 0 };
  const result = amount === null
    ? { steps: 0, diverged: false, aborted: false, meanLoss: NaN, seconds: 0 }
    : await runFineTune(model, amount, stream, {
        distill: cfg.fineTune.distill,
        teacher: context.original,
        loss: cfg.compile.loss,
        signal: cfg.signal,
      });
  let diverged = result.diverged || (result.steps > 0 && !weightsFinite(model));
  let batchNorm: RecalibrationOutcome | undefined;
  if (!diverged && !result.aborted && cfg.fineTune.recalibrateBatchNorm > 0) {
    // Without training, only the BN layers whose input the surgery changed have stale statistics.
    const only = result.steps > 0 ? null : guard.changed;
    const outcome = await recalibrateGuarded(model, stream, cfg.fineTune.recalibrateBatchNorm, only, guard.judge);
    if (outcome.layers > 0) batchNorm = outcome;
    // NaN or infinite data or activations give such moving statistics: a divergence, like a NaN loss.
    if (outcome.layers > 0 && !weightsFinite(model)) diverged = true;
  }
  return { ...result, diverged, ...(batchNorm ? { batchNorm } : {}), seconds: (performance.now() - start) / 1000 };
}

/** What {@link finalPhase} did. */
export interface FinalPhaseResult {
  /** The returned model's measurement. */
  final: Measurement;
  /** Validation metrics before the final fine-tune, when one ran. */
  before?: Record<string, number>;
  /** The final fine-tune diverged and its weights were restored. */
  undone: boolean;
  /** Seconds of fine-tuning and of evaluation. */
  fineTuneSeconds: number;
  evaluationSeconds: number;
}

/**
 * The end of a run: the final fine-tune of the returned model (unless `skip`), undone if it
 * diverges, then the model is compiled afresh and measured.
 */
export async function finalPhase(
  cfg: Pick<LoopConfig, 'fineTune' | 'compile' | 'signal'>,
  model: tf.LayersModel,
  stream: TrainingStream,
  context: FineTuneContext,
  measure: MeasureSettings,
  skip: boolean,
  judge?: (model: tf.LayersModel) => Promise<number>,
): Promise<FinalPhaseResult> {
  let before: Record<string, number> | undefined;
  let undone = false;
  let fineTuneSeconds = 0;
  let evaluationSeconds = 0;
  const amount = cfg.fineTune.kind === 'builtin' ? cfg.fineTune.final : null;
  if (!skip && (amount !== null || cfg.fineTune.kind === 'function')) {
    let t = performance.now();
    before = await validationMetrics(model, measure);
    evaluationSeconds += (performance.now() - t) / 1000;
    const snapshot = model.getWeights().map((w) => w.clone());
    try {
      compileModel(model, cfg.compile);
      const r = await fineTunePhase(cfg, model, amount, stream, context, { changed: null, judge });
      fineTuneSeconds += r.seconds;
      if (r.diverged) {
        model.setWeights(snapshot);
        undone = true;
      }
    } finally {
      tf.dispose(snapshot);
    }
  }
  compileModel(model, cfg.compile);
  const t = performance.now();
  const final = await measureModel(model, measure);
  evaluationSeconds += (performance.now() - t) / 1000;
  return { final, ...(before ? { before } : {}), undone, fineTuneSeconds, evaluationSeconds };
}
