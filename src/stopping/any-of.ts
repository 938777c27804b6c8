import { assertPolicies, childDecisions, combinedName, combinedParts } from './combine';
import type { Measurement } from '../report/measurement';
import type { LoopState, StopDecision, StopPolicy } from './stop-policy';

/**
 * Stops as soon as any of `policies` stops. Every child is checked at every step; the decision
 * returned is the first child's (in argument order) that asks for a rollback, otherwise the first
 * child's that stops: its `reason`, `rollback` and `by` (the name of the leaf policy that fired)
 * pass through unchanged. A rollback wins over a plain stop because the current model breaks a
 * bound: with `anyOf(targetFlops(0.5), maxMetricDrop('accuracy', 0.01))`, a step that reaches the
 * FLOPs target while losing two points of accuracy rolls back instead of keeping that model.
 *
 * The combined policy's `bound` holds when every child's bound holds (children without a bound
 * count as holding; there is no `bound` at all when no child has one), its `requires` is the
 * union of the children's, and `validate` runs every child's `validate` in order. Its name lists
 * the children: `anyOf(targetFlops(0.5), maxMetricDrop(accuracy, 0.01))`. Nest freely with
 * {@link allOf}.
 *
 * @param policies At least one policy: an object with a name and a check function.
 * @throws PruneError `INVALID_OPTION` with no argument, or an argument that is not a policy.
 *
 * @example
 * ```ts
 * import { anyOf, maxMetricDrop, maxSteps, targetFlops } from 'tfjs-prune';
 *
 * // Half the FLOPs, at most 20 steps, and never more than one point of accuracy lost.
 * const policy = anyOf(targetFlops(0.5), maxSteps(20), maxMetricDrop('accuracy', 0.01));
 * ```
 */
export function anyOf(...policies: StopPolicy[]): StopPolicy {
  assertPolicies('anyOf', policies);
  const children = Object.freeze([...policies]);
  return Object.freeze({
    name: combinedName('anyOf', children),
    ...combinedParts(children),
    // A step lands on the first cost target it would cross: any child's target met is enough.
    ...(children.some((c) => c.meetsTarget !== undefined)
      ? { meetsTarget: (cost: { flops: number; params: number }, baseline: Measurement): boolean => children.some((c) => c.meetsTarget?.(cost, baseline) === true) }
      : {}),
    check(state: LoopState): StopDecision {
      const decisions = childDecisions('anyOf', children, state);
      return decisions.find((d) => d.stop && d.rollback === true) ?? decisions.find((d) => d.stop) ?? { stop: false };
    },
  });
}
