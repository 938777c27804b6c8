import type { Measurement, MetricDirection } from '../report/measurement';
import type { StepRecord } from '../report/step-record';

/**
 * What a stopping policy sees after each pruning step (after fine-tuning and measuring).
 *
 * @example
 * ```ts
 * const flopsKept = (s: LoopState) => s.current.flops / s.baseline.flops;
 * ```
 */
export interface LoopState {
  /** Completed pruning steps (1 after the first). */
  step: number;
  /** The original model, measured before any pruning (after the initial fine-tune, if any). */
  baseline: Measurement;
  /** The current model, after this step's fine-tuning. */
  current: Measurement;
  /** Every step so far, the last one included. */
  history: readonly StepRecord[];
  /**
   * The direction of every metric this run measures (the same record as `StopContext.metrics`;
   * empty without validation data). Metric policies read a metric's direction from here on every
   * call rather than remembering it from `validate`, so one policy object can serve several runs,
   * even concurrent ones with different metrics.
   */
  metrics: Record<string, MetricDirection>;
}

/**
 * A policy's verdict. `stop: true` ends the loop; `rollback: true` (only meaningful with
 * `stop: true`) also says the current model is not acceptable (it breaks a bound), so the loop
 * returns the last model that met every bound.
 *
 * @example
 * ```ts
 * const verdict: StopDecision = {
 *   stop: true,
 *   rollback: true,
 *   reason: 'accuracy dropped by 0.012 > 0.01',
 *   by: 'maxMetricDrop(accuracy, 0.01)',
 * };
 * ```
 */
export interface StopDecision {
  stop: boolean;
  /** Human-readable why, for the report (e.g. `'FLOPs at 49.7% of the original <= 50%'`). */
  reason?: string;
  rollback?: boolean;
  /**
   * The name of the policy that fired: built-in leaf policies set their own name
   * (`'targetFlops(0.5)'`), `anyOf` passes its firing child's `by` through, `allOf` reports
   * `allOf(<by of each child>)`. The loop reports it as `stoppedBy` (falling back to the
   * top-level policy's name when a custom policy leaves it out).
   */
  by?: string;
}

/**
 * What the loop knows before any work, so a policy can refuse bad use up front (unknown metric,
 * no validation data for a metric bound, a target the original model already meets).
 *
 * @example
 * ```ts
 * // Stop once validation accuracy falls under 0.9; refuse to run when accuracy is not measured.
 * const minAccuracy: StopPolicy = {
 *   name: 'accuracy >= 0.9',
 *   requires: { metrics: ['accuracy'] },
 *   validate(ctx: StopContext) {
 *     if (!('accuracy' in ctx.metrics)) throw new PruneError('INVALID_OPTION', 'accuracy >= 0.9: compile the model with the accuracy metric and give validation data.');
 *   },
 *   check: (s) => (s.current.metrics.accuracy < 0.9 ? { stop: true, rollback: true, reason: 'accuracy < 0.9' } : { stop: false }),
 *   bound: (m) => m.metrics.accuracy >= 0.9,
 * };
 * ```
 */
export interface StopContext {
  baseline: Measurement;
  /** Every metric the loop measures on validation data, with its direction. Empty without validation data. */
  metrics: Record<string, MetricDirection>;
  /** Whether the loop measures latency (objective `'latency'` or a latency target). */
  measuresLatency: boolean;
}

/**
 * A stopping policy: a plain object. Compose with `anyOf` / `allOf`.
 *
 * - `check` is called after every step; the loop stops at the first `stop: true`.
 * - `bound`, when present, says whether a measurement is acceptable (e.g. within an accuracy
 *   drop). The loop remembers the last model for which every bound holds, and returns it when a
 *   policy asks for a rollback. Its third argument is the run's metric directions (as
 *   `LoopState.metrics`).
 *
 * Policies hold no state between calls: the same object may be used by several runs, even at
 * the same time. Anything run-specific (such as a metric's direction) comes in through the
 * arguments.
 *
 * @example
 * ```ts
 * import type { StopPolicy } from 'tfjs-prune';
 *
 * // Stop once the model has fewer than 10,000 weights.
 * const under10k: StopPolicy = {
 *   name: 'params < 10000',
 *   check: (s) =>
 *     s.current.params < 10000
 *       ? { stop: true, reason: `params ${s.current.params} < 10000`, by: 'params < 10000' }
 *       : { stop: false },
 * };
 * ```
 */
export interface StopPolicy {
  /** Shown in the report as `stoppedBy`, e.g. `'targetFlops(0.5)'`. */
  readonly name: string;
  /** What the loop must measure for this policy (`size`: stored bytes, `Measurement.bytes`). */
  readonly requires?: { latency?: boolean; metrics?: readonly string[]; size?: boolean };
  /** Refuses bad use before any work, with a PruneError. Must not store anything on the policy. */
  validate?(context: StopContext): void;
  check(state: LoopState): StopDecision;
  /**
   * Whether `measurement` is acceptable compared with `baseline`; `metrics` gives each metric's
   * direction for this run (as `LoopState.metrics`).
   */
  bound?(measurement: Measurement, baseline: Measurement, metrics: Record<string, MetricDirection>): boolean;
  /**
   * Whether a model of these counts (FLOPs and parameters, as `countFlops`/`countParams`) would
   * meet this policy's cost target; absent when the policy has no FLOPs or parameter target. The
   * loop uses it to shrink the step that would cross the target to only what is needed to reach
   * it (`targetFlops`, `targetParams`, and `anyOf`/`allOf` of them provide it).
   */
  meetsTarget?(cost: { flops: number; params: number }, baseline: Measurement): boolean;
}
