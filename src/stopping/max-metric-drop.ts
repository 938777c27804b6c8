import { PruneError } from '../errors';
import type { Measurement, MetricDirection } from '../report/measurement';
import { describeValue, distinctDigits, formatAtScaleOf, formatNumber } from './format';
import { assertMetricName, metricDirection, metricValue } from './metric-policy';
import type { LoopState, StopContext, StopDecision, StopPolicy } from './stop-policy';

/** How much worse `current` is than `baseline` (negative when it improved). */
function worsening(direction: MetricDirection, baseline: number, current: number): number {
  return direction === 'higher' ? baseline - current : current - baseline;
}

/**
 * Whether a worsening is within `allowed`. The tolerance of a few units of float rounding makes
 * a drop of exactly `allowed` hold: 0.965 -> 0.955 is a drop of 0.01 even though
 * `0.965 - 0.955 === 0.010000000000000009`. NaN never holds.
 */
function within(direction: MetricDirection, baseline: number, current: number, allowed: number): boolean {
  const tolerance = 4 * Number.EPSILON * Math.max(Math.abs(baseline), Math.abs(current));
  return worsening(direction, baseline, current) <= allowed + tolerance;
}

/**
 * A bound on how much a validation metric may worsen compared with the original model. With the
 * metric's declared direction (from the run's metrics, never guessed from its name), the drop is
 * `baseline - current` for a higher-is-better metric (accuracy) and `current - baseline` for a
 * lower-is-better one (loss). The bound holds while the drop is at most `drop` (a drop of exactly
 * `drop` holds; a NaN metric breaks it).
 *
 * `check` returns `{ stop: true, rollback: true }` once the bound is broken, with a reason like
 * `accuracy dropped by 0.0123 > 0.01 (0.965 -> 0.9527)` (`loss rose by ...` for a lower-is-better
 * metric): the loop then returns the last model for which every bound held. Otherwise
 * `{ stop: false }`: a bound alone never ends a run that meets it, so combine it with a target,
 * e.g. `anyOf(targetFlops(0.5), maxMetricDrop('accuracy', 0.01))`.
 *
 * It declares `requires: { metrics: [metric] }`. `validate` refuses a run without validation data
 * (`MISSING_DATA`: pass `data.validation`) and a metric the run does not measure
 * (`INVALID_OPTION`, listing the metrics it does measure).
 *
 * @param metric A validation metric's name, e.g. `'accuracy'` or `'loss'`.
 * @param drop The largest acceptable worsening, in the metric's own units (0.01 = one point of
 *   accuracy given as a fraction): a finite number >= 0.
 * @throws PruneError `INVALID_OPTION` for an empty metric name or a drop that is not a finite
 *   number >= 0.
 *
 * @example
 * ```ts
 * import { anyOf, maxMetricDrop, targetFlops } from 'tfjs-prune';
 *
 * // Prune to half the FLOPs, but never keep a model more than one point of accuracy below the original.
 * const policy = anyOf(targetFlops(0.5), maxMetricDrop('accuracy', 0.01));
 * ```
 */
export function maxMetricDrop(metric: string, drop: number): StopPolicy {
  assertMetricName('maxMetricDrop', metric, describeValue(drop));
  if (typeof drop !== 'number' || !Number.isFinite(drop) || drop < 0) {
    throw new PruneError(
      'INVALID_OPTION',
      `maxMetricDrop(${metric}, ${describeValue(drop)}): the drop must be a finite number >= 0, the largest acceptable worsening of '${metric}' in its own units; got ${describeValue(drop)}. ` +
        `Pass e.g. maxMetricDrop('${metric}', 0.01); 0 accepts no worsening at all.`,
    );
  }
  const name = `maxMetricDrop(${metric}, ${drop})`;
  const policy: StopPolicy = {
    name,
    requires: Object.freeze({ metrics: Object.freeze([metric]) }),
    validate(context: StopContext): void {
      metricDirection(name, metric, context?.metrics);
      metricValue(name, metric, context?.baseline, 'baseline');
    },
    bound(measurement: Measurement, baseline: Measurement, metrics: Record<string, MetricDirection>): boolean {
      const direction = metricDirection(name, metric, metrics);
      return within(direction, metricValue(name, metric, baseline, 'baseline'), metricValue(name, metric, measurement, 'current'), drop);
    },
    check(state: LoopState): StopDecision {
      const direction = metricDirection(name, metric, state?.metrics);
      const base = metricValue(name, metric, state.baseline, 'baseline');
      const now = metricValue(name, metric, state.current, 'current');
      if (within(direction, base, now, drop)) return { stop: false };
      const worse = worsening(direction, base, now);
      const digits = distinctDigits(worse, drop);
      const [by, allowed] = [formatNumber(worse, digits), formatNumber(drop, digits)];
      const [from, to] = [formatAtScaleOf(base, worse, digits), formatAtScaleOf(now, worse, digits)];
      const verb = direction === 'higher' ? 'dropped' : 'rose';
      return {
        stop: true,
        rollback: true,
        reason: Number.isNaN(now)
          ? `${metric} is NaN (${formatNumber(base)} originally), which breaks ${name}`
          : `${metric} ${verb} by ${by} > ${allowed} (${from} -> ${to})`,
        by: name,
      };
    },
  };
  return Object.freeze(policy);
}
