import type { Measurement, MetricDirection } from '../../src/report/measurement';
import type { LoopState, StopContext } from '../../src/stopping/stop-policy';

/** A hand-made measurement. */
export function measurement(fields: Partial<Measurement> = {}): Measurement {
  return { params: 1000, flops: 10000, metrics: {}, ...fields };
}

/** The original model of most tests: 1000 params, 10000 FLOPs, 2 ms, accuracy 0.965, loss 0.11. */
export const BASELINE: Measurement = measurement({ latencyMs: 2, metrics: { accuracy: 0.965, loss: 0.11 } });

/** The usual metric directions. */
export const METRICS: Record<string, MetricDirection> = { loss: 'lower', accuracy: 'higher' };

/** A loop state after `step` steps whose current model differs from BASELINE by `current`. */
export function state(current: Partial<Measurement>, rest: Partial<LoopState> = {}): LoopState {
  return {
    step: 1,
    baseline: BASELINE,
    current: { ...BASELINE, ...current, metrics: { ...BASELINE.metrics, ...current.metrics } },
    history: [],
    metrics: METRICS,
    ...rest,
  };
}

/** A stop context for BASELINE, measuring latency and both metrics unless overridden. */
export function context(fields: Partial<StopContext> = {}): StopContext {
  return { baseline: BASELINE, metrics: METRICS, measuresLatency: true, ...fields };
}

export { expectPruneError } from '../helpers/expect-prune-error';
