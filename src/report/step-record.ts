import type { Measurement } from './measurement';
import type { CompensationRecord } from '../compensation/compensation-record';

/**
 * What one pruning step did: one record per step in the report, also passed to `onStep`.
 *
 * @example
 * ```ts
 * await pruneIteratively(model, { train: { x: xTrain, y: yTrain }, validation: { x: xVal, y: yVal } }, {
 *   compile: { optimizer: () => tf.train.adam(1e-4), loss: 'categoricalCrossentropy', metrics: ['accuracy'] },
 *   stop: targetFlops(0.5),
 *   onStep: (r: StepRecord) => console.log(r.step, r.flops, r.metricsAfterFineTune.accuracy),
 * });
 * ```
 */
export interface StepRecord {
  /** 1 for the first pruning step. */
  step: number;
  /** Channels removed in this step, per group id. */
  removedPerGroup: Record<string, number>;
  /** Channels removed in this step, per layer (every producer of each group loses them). */
  removedPerLayer: Record<string, number>;
  /** Channels of every prunable group after this step, per group id. */
  channels: Record<string, number>;
  /** Size and cost after this step's surgery. */
  params: number;
  flops: number;
  latencyMs?: number;
  /** Stored bytes at 32 bits and at the deploy precision, when the run measures size (see {@link Measurement}). */
  bytes?: number;
  bytesQuantized?: number;
  /** Validation metrics right after surgery, before fine-tuning. */
  metricsBeforeFineTune: Record<string, number>;
  /** Validation metrics after this step's fine-tuning. */
  metricsAfterFineTune: Record<string, number>;
  /** Wall-clock seconds spent in each phase of the step. */
  seconds: { scoring: number; surgery: number; compensation?: number; fineTune: number; evaluation: number };
  /** What compensation did after this step's surgery, when the run compensates (`compensate`). */
  compensation?: CompensationRecord;
  /**
   * The BatchNormalization re-estimation after this step (`fineTune.recalibrateBatchNorm`), when
   * it touched any layer: how many BN layers, whether the new statistics were kept (they are
   * undone when they make the validation loss, or the distance from the original's outputs
   * without labels, worse), and that judged value before and after.
   */
  batchNorm?: { layers: number; kept: boolean; before?: number; after?: number };
}

/**
 * Why the loop stopped: the name of the policy that fired (e.g. `'targetFlops(0.5)'`), or one of
 * `'aborted'` (the AbortSignal fired), `'diverged'` (a NaN or infinite loss during fine-tuning),
 * `'nothingToPrune'` (every group is at its floor).
 *
 * @example
 * ```ts
 * if (report.toJSON().stoppedBy === 'diverged') console.warn('fine-tuning diverged; the last good model was returned');
 * ```
 */
export type StopReason = string;

/** The measurement of a model kept as the result, and why (for the report). */
export interface Outcome {
  /** Measurement of the returned model (after the final fine-tune, if any). */
  final: Measurement;
  /** Why the loop stopped. */
  stoppedBy: StopReason;
  /**
   * Set when the returned model is not the last one pruned: the step whose model was returned
   * (0: the original) and why the later ones were rejected.
   */
  rolledBackTo?: { step: number; reason: string };
}
