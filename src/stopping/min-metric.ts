import { PruneError } from '../errors';
import type { Measurement, MetricDirection } from '../report/measurement';
import { describeValue, formatPair } from './format';
import { assertMetricName, metricDirection, metricValue } from './metric-policy';
import type { LoopState, StopContext, StopDecision, StopPolicy } from './stop-policy';

/** Whether `current` is at least as good as `value` in `direction`. NaN never is. */
function meets(direction: MetricDirection, current: number, value: number): boolean {
  return direction === 'higher' ? current >= value : current <= value;
}

/**
 * A bound on a validation metric's absolute value: the metric must stay at least as good as
 * `value`, that is `>= value` for a higher-is-better metric (accuracy) and `<= value` for a
 * lower-is-better one (loss), by the metric's declared direction (from the run's metrics, never
 * guessed from its name). A metric exactly at `value` holds; a NaN metric breaks the bound.
 *
 * `check` returns `{ stop: true, rollback: true }` once the bound is broken, with a reason like
 * `accuracy 0.8812 < 0.9 (at least 0.9 required; 0.965 originally)`; the loop then returns the
 * last model for which every bound held. Otherwise `{ stop: false }`: combine it with a target.
 *
 * It declares `requires: { metrics: [metric] }`. `validate` refuses (`INVALID_OPTION`) a minimum
 * the original model already misses, a run without validation data (`MISSING_DATA`) and a metric
 * the run does not measure (`INVALID_OPTION`, listing the metrics it does measure).
 *
 * @param metric A validation metric's name, e.g. `'accuracy'` or `'loss'`.
 * @param value The worst acceptable value, in the metric's own units: a finite number.
 * @throws PruneError `INVALID_OPTION` for an empty metric name or a value that is not a finite number.
 *
 * @example
 * ```ts
 * import { anyOf, minMetric, targetParams } from 'tfjs-prune';
 *
 * // Shrink to 30% of the weights while accuracy stays >= 0.9 and the loss <= 0.35.
 * const policy = anyOf(targetParams(0.3), minMetric('accuracy', 0.9), minMetric('loss', 0.35));
 * ```
 */
export function minMetric(metric: string, value: number): StopPolicy {
  assertMetricName('minMetric', metric, describeValue(value));
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new PruneError(
      'INVALID_OPTION',
      `minMetric(${metric}, ${describeValue(value)}): the value must be a finite number, the worst acceptable '${metric}'; got ${describeValue(value)}. ` +
        `Pass e.g. minMetric('accuracy', 0.9) (at least 0.9) or minMetric('loss', 0.35) (at most 0.35).`,
    );
  }
  const name = `minMetric(${metric}, ${value})`;
  const policy: StopPolicy = {
    name,
    requires: Object.freeze({ metrics: Object.freeze([metric]) }),
    validate(context: StopContext): void {
      const direction = metricDirection(name, metric, context?.metrics);
      const base = metricValue(name, metric, context.baseline, 'baseline');
      if (!meets(direction, base, value)) {
        const [have, want] = formatPair(base, value);
        const [worse, better] = direction === 'higher' ? ['below', 'lower'] : ['above', 'higher'];
        throw new PruneError(
          'INVALID_OPTION',
          `${name}: the original model already has ${metric} ${have}, ${worse} the required ${want}, so every pruned model would be rolled back. ` +
            `Expected a value the original model meets; make it ${better} than ${have}, or bound the worsening relative to the original with maxMetricDrop('${metric}', drop).`,
        );
      }
    },
    bound(measurement: Measurement, _baseline: Measurement, metrics: Record<string, MetricDirection>): boolean {
      // An absolute bound: the baseline does not matter.
      return meets(metricDirection(name, metric, metrics), metricValue(name, metric, measurement, 'current'), value);
    },
    check(state: LoopState): StopDecision {
      const direction = metricDirection(name, metric, state?.metrics);
      const now = metricValue(name, metric, state.current, 'current');
      if (meets(direction, now, value)) return { stop: false };
      const [have, want] = formatPair(now, value);
      const base = state.baseline?.metrics?.[metric];
      const originally = typeof base === 'number' ? `; ${formatPair(base, now)[0]} originally` : '';
      const [cmp, need] = direction === 'higher' ? ['<', 'at least'] : ['>', 'at most'];
      return {
        stop: true,
        rollback: true,
        reason: Number.isNaN(now)
          ? `${metric} is NaN, which breaks ${name}`
          : `${metric} ${have} ${cmp} ${want} (${need} ${want} required${originally})`,
        by: name,
      };
    },
  };
  return Object.freeze(policy);
}
