import { PruneError } from '../errors';
import type { Measurement, MetricDirection } from '../report/measurement';
import { describeValue } from './format';

/**
 * Shared checks of the metric policies (maxMetricDrop, minMetric). Internal: not exported from
 * the package. Directions are always read from the record the caller passes (the run's
 * `StopContext.metrics` / `LoopState.metrics`), never remembered on the policy.
 */

/**
 * Throws INVALID_OPTION unless `metric` is a non-empty string.
 *
 * @example
 * ```ts
 * assertMetricName('minMetric', metric, '0.9'); // throws INVALID_OPTION for '' or a non-string
 * ```
 */
export function assertMetricName(factory: string, metric: unknown, rest: string): asserts metric is string {
  if (typeof metric !== 'string' || metric.length === 0) {
    throw new PruneError(
      'INVALID_OPTION',
      `${factory}(${describeValue(metric)}, ${rest}): the metric must be a non-empty string naming a validation metric; got ${describeValue(metric)}. ` +
        `Pass a name the run measures, e.g. ${factory}('accuracy', ${rest}) or ${factory}('loss', ${rest}).`,
    );
  }
}

/**
 * The direction of `metric` in `metrics`: `MISSING_DATA` when the run measures no metric at all
 * (no validation data), `INVALID_OPTION` when it does not measure this one or declares a direction
 * other than 'higher' / 'lower'.
 *
 * @example
 * ```ts
 * metricDirection('maxMetricDrop(loss, 0.05)', 'loss', state.metrics); // 'lower'
 * ```
 */
export function metricDirection(name: string, metric: string, metrics: Record<string, MetricDirection> | undefined): MetricDirection {
  const known = metrics && typeof metrics === 'object' ? Object.keys(metrics) : [];
  if (known.length === 0) {
    throw new PruneError(
      'MISSING_DATA',
      `${name}: a metric bound needs validation data to measure '${metric}', but this run measures no metric. ` +
        `Expected validation data; pass data.validation (held-out x and y) to the loop, or drop ${name}.`,
    );
  }
  if (!Object.prototype.hasOwnProperty.call(metrics, metric)) {
    throw new PruneError(
      'INVALID_OPTION',
      `${name}: this run measures no metric named '${metric}'; known metrics: ${known.join(', ')}. ` +
        `Use one of those names (they are the model's loss and compiled metrics).`,
    );
  }
  const direction = metrics![metric];
  if (direction !== 'higher' && direction !== 'lower') {
    throw new PruneError(
      'INVALID_OPTION',
      `${name}: metric '${metric}' declares the direction ${describeValue(direction)}; expected 'higher' or 'lower' (whether a larger value is better). ` +
        `Declare the metric's direction where the run's metrics are defined.`,
    );
  }
  return direction;
}

/**
 * `metric`'s value in a measurement: `MISSING_DATA` when it is absent (or, for the baseline, not a
 * finite number). A current value may be NaN or infinite: the policies treat it as breaking their
 * bound.
 *
 * @example
 * ```ts
 * metricValue('maxMetricDrop(accuracy, 0.01)', 'accuracy', state.current, 'current'); // 0.9527
 * ```
 */
export function metricValue(name: string, metric: string, m: Measurement | undefined, which: 'baseline' | 'current'): number {
  const value = m?.metrics?.[metric];
  const finite = typeof value === 'number' && (which === 'current' || Number.isFinite(value));
  if (!finite) {
    const model = which === 'baseline' ? 'the original model' : 'the current model';
    throw new PruneError(
      'MISSING_DATA',
      `${name}: the ${which} measurement has no ${which === 'baseline' ? 'finite ' : ''}value for '${metric}' (got ${describeValue(value)}). ` +
        `Expected ${model} evaluated on the validation data with '${metric}'; check that the validation data suits the model (a NaN loss usually means bad labels or inputs).`,
    );
  }
  return value as number;
}
