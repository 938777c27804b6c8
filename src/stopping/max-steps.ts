import { PruneError } from '../errors';
import { describeValue } from './format';
import type { LoopState, StopDecision, StopPolicy } from './stop-policy';

/**
 * Stops after `n` pruning steps: `state.step >= n`. A cap on the run's length, usually combined
 * with a target: `anyOf(targetFlops(0.3), maxSteps(20))`. Not a bound: it never asks for a
 * rollback. The reason reads like `reached step 20 of at most 20`.
 *
 * @param n The largest number of pruning steps: a positive integer.
 * @throws PruneError `INVALID_OPTION` when `n` is not a positive integer.
 *
 * @example
 * ```ts
 * import { anyOf, maxSteps, targetFlops } from 'tfjs-prune';
 *
 * const policy = anyOf(targetFlops(0.3), maxSteps(20)); // at most 20 steps even if 30% is never reached
 * ```
 */
export function maxSteps(n: number): StopPolicy {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    throw new PruneError(
      'INVALID_OPTION',
      `maxSteps(${describeValue(n)}): n must be a positive integer, the largest number of pruning steps; got ${describeValue(n)}. ` +
        `Pass e.g. maxSteps(10); to stop without pruning at all, do not run the loop.`,
    );
  }
  const name = `maxSteps(${n})`;
  return Object.freeze({
    name,
    check(state: LoopState): StopDecision {
      if (!(state.step >= n)) return { stop: false };
      return { stop: true, reason: `reached step ${state.step} of at most ${n}`, by: name };
    },
  });
}
