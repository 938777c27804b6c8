import { PruneError } from '../errors';
import type { Measurement } from '../report/measurement';
import { describeValue, formatNumber, formatPercent, formatRatioPercent } from './format';
import type { LoopState, StopContext, StopDecision, StopPolicy } from './stop-policy';

/**
 * The quantity a target policy watches. Internal: shared by targetFlops, targetParams, targetLatency.
 *
 * @example
 * ```ts
 * const flops: TargetQuantity = { factory: 'targetFlops', key: 'flops', label: 'FLOPs', unit: formatCount };
 * ```
 */
export interface TargetQuantity {
  /** Factory name, for the policy's name and error messages. */
  factory: 'targetFlops' | 'targetParams' | 'targetLatency' | 'targetSize';
  /** The field of a Measurement. */
  key: 'flops' | 'params' | 'latencyMs' | 'bytes';
  /** A field of the current measurement read first, when present (the baseline always uses `key`). */
  currentKey?: 'bytesQuantized';
  /** How a reason names the quantity. */
  label: string;
  /** Formats one value for a reason (`'351200'`, `'0.68 ms'`). */
  unit: (value: number) => string;
}

/** Throws INVALID_OPTION unless `ratio` is a finite number strictly between 0 and 1. */
function assertRatio(q: TargetQuantity, ratio: unknown): asserts ratio is number {
  const call = `${q.factory}(${describeValue(ratio)})`;
  const expected = `Expected a finite number in (0, 1), the fraction of the original ${q.label} to reach; e.g. ${q.factory}(0.5) stops once the model is at half the original ${q.label}.`;
  if (typeof ratio !== 'number' || !Number.isFinite(ratio)) {
    throw new PruneError('INVALID_OPTION', `${call}: the ratio is not a finite number. ${expected}`);
  }
  if (ratio >= 1) {
    throw new PruneError(
      'INVALID_OPTION',
      `${call}: a ratio >= 1 is a target the original model already meets (it has 100% of its own ${q.label}), so the loop would stop before pruning anything. ${expected}`,
    );
  }
  if (ratio <= 0) {
    throw new PruneError(
      'INVALID_OPTION',
      `${call}: a ratio <= 0 asks for a model with no ${q.label} at all, which pruning never reaches (every group keeps at least one channel). ${expected}`,
    );
  }
}

/** The baseline value, refused unless it is a finite number > 0 (a ratio of it must mean something). */
function baselineValue(q: TargetQuantity, name: string, baseline: Measurement): number {
  const value = baseline?.[q.key];
  if (value === undefined) {
    throw new PruneError(
      'MISSING_DATA',
      `${name}: the baseline measurement has no ${q.key}, so there is nothing to take ${q.label} ratios of. ` +
        `Expected the original model measured with ${q.key}; the loop measures it when a policy's requires.latency is true (pass measuresLatency: true and a baseline with ${q.key} when you call the policy yourself).`,
    );
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new PruneError(
      'INVALID_OPTION',
      `${name}: the original model's ${q.key} is ${describeValue(value)}, so a target ratio of it cannot be measured. ` +
        `Expected a finite ${q.key} > 0; use a target on another quantity (targetFlops, targetParams, targetLatency) or maxSteps.`,
    );
  }
  return value;
}

/** The current value; a missing one is refused (the loop did not measure what the policy requires). */
function currentValue(q: TargetQuantity, name: string, current: Measurement): number {
  const value = (q.currentKey !== undefined ? current?.[q.currentKey] : undefined) ?? current?.[q.key];
  if (typeof value !== 'number') {
    throw new PruneError(
      'MISSING_DATA',
      `${name}: the current measurement has no ${q.key} (got ${describeValue(value)}). ` +
        `Expected every step to be measured with ${q.key}; the loop does so when a policy's requires says so (requires.latency for latency).`,
    );
  }
  return value;
}

/**
 * Builds the policy that stops once `current[key] / baseline[key] <= ratio`. The comparison is on
 * the fraction itself (not `current <= ratio * baseline`), so a model at exactly the target
 * fraction stops even when `ratio * baseline` would round up or down.
 *
 * @example
 * ```ts
 * const policy = targetPolicy(flops, 0.5); // name 'targetFlops(0.5)'
 * ```
 */
export function targetPolicy(q: TargetQuantity, ratio: number): StopPolicy {
  assertRatio(q, ratio);
  const name = `${q.factory}(${ratio})`;
  const latency = q.key === 'latencyMs';
  const policy: StopPolicy = {
    name,
    ...(latency ? { requires: Object.freeze({ latency: true }) } : {}),
    ...(q.key === 'bytes' ? { requires: Object.freeze({ size: true }) } : {}),
    validate(context: StopContext): void {
      if (latency && context?.measuresLatency !== true) {
        throw new PruneError(
          'MISSING_DATA',
          `${name}: this run does not measure latency, so a latency target can never be checked. ` +
            `Expected measuresLatency: true; the loop measures latency when a policy's requires.latency is true, so use ${name} as the loop's stopping policy (or inside anyOf/allOf), or pass measuresLatency: true when you call validate yourself.`,
        );
      }
      baselineValue(q, name, context?.baseline);
    },
    ...(q.key === 'flops' || q.key === 'params'
      ? { meetsTarget: (cost: { flops: number; params: number }, baseline: Measurement): boolean => cost[q.key as 'flops' | 'params'] / baselineValue(q, name, baseline) <= ratio }
      : {}),
    check(state: LoopState): StopDecision {
      const base = baselineValue(q, name, state?.baseline);
      const now = currentValue(q, name, state.current);
      const fraction = now / base;
      if (!(fraction <= ratio)) return { stop: false };
      return {
        stop: true,
        reason: `${q.label} at ${formatPercent(fraction)} of the original <= ${formatRatioPercent(ratio)} (${q.unit(now)} of ${q.unit(base)})`,
        by: name,
      };
    },
  };
  return Object.freeze(policy);
}

/**
 * Formats a count (FLOPs, params) for a reason.
 *
 * @example
 * ```ts
 * formatCount(706752); // '706752'
 * ```
 */
export const formatCount = (value: number): string => formatNumber(value);
