import * as tf from '@tensorflow/tfjs';
import { recalibrateBatchNorm } from './recalibrate-batch-norm';
import type { TrainingStream } from './training-stream';
import { weightsFinite } from './weights-finite';

/**
 * What a guarded BatchNormalization re-estimation did (recorded in the step record).
 *
 * @example
 * ```ts
 * const r: RecalibrationOutcome = { layers: 3, kept: false, before: 0.41, after: 0.57 };
 * ```
 */
export interface RecalibrationOutcome {
  /** BN layers whose statistics were re-estimated. */
  layers: number;
  /** Whether the new statistics were kept (false: they made the judged value worse and were undone). */
  kept: boolean;
  /** The judged value (lower is better) before and after the re-estimation. */
  before?: number;
  after?: number;
}

/**
 * Re-estimates the BatchNormalization statistics of `model` (of the layers named in `only`, or of
 * every BN layer when `only` is null) from `batches` training minibatches, then keeps the new
 * statistics only if `judge` (lower is better: a validation loss, or the distance from the
 * original model's outputs) is not worse than before; otherwise the old statistics are put back.
 * Without a judge the new statistics are kept; non-finite new statistics are kept too, without
 * judging, so that the caller sees them (`weightsFinite`) and treats the step as diverged.
 */
export async function recalibrateGuarded(
  model: tf.LayersModel,
  stream: TrainingStream,
  batches: number,
  only: ReadonlySet<string> | null,
  judge?: (model: tf.LayersModel) => Promise<number>,
): Promise<RecalibrationOutcome> {
  const layers = model.layers.filter((l) => l.getClassName() === 'BatchNormalization' && (only === null || only.has(l.name)));
  if (batches <= 0 || layers.length === 0) return { layers: 0, kept: true };
  const snapshot = layers.map((l) => l.getWeights().map((w) => w.clone()));
  try {
    const before = judge ? await judge(model) : NaN;
    const n = await recalibrateBatchNorm(model, stream, batches, only);
    if (n === 0 || judge === undefined) return { layers: n, kept: true };
    // Non-finite statistics (NaN data or activations) are a divergence for the caller to see
    // (and roll back as a whole step), not a worse value to undo quietly.
    if (!weightsFinite(model)) return { layers: n, kept: true };
    const after = await judge(model);
    // NaN after (and a finite value before) counts as worse; a NaN before cannot be made worse.
    if (after <= before || Number.isNaN(before)) return { layers: n, kept: true, before, after };
    layers.forEach((l, i) => l.setWeights(snapshot[i]));
    return { layers: n, kept: false, before, after };
  } finally {
    tf.dispose(snapshot.flat());
  }
}
