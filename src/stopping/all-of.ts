import { assertPolicies, childDecisions, combinedName, combinedParts } from './combine';
import type { Measurement } from '../report/measurement';
import type { LoopState, StopDecision, StopPolicy } from './stop-policy';

/**
 * Stops when every one of `policies` says stop at the same step, e.g. once the model is at both
 * half the FLOPs and half the parameters. The reason joins the children's reasons with `'; '`, and
 * `by` is `allOf(...)` of the children's `by` (so the leaves that fired show through a nested
 * `anyOf`).
 *
 * **Rollbacks do not wait for the others.** If any child asks for a rollback (a broken bound such
 * as `maxMetricDrop`), `allOf` stops at once with that child's decision (the first such child in
 * argument order): pruning further never repairs a broken bound, so waiting for the other
 * children to agree would only waste steps on models that will be thrown away.
 *
 * The combined policy's `bound` holds when every child's bound holds (children without a bound
 * count as holding; there is no `bound` at all when no child has one), its `requires` is the
 * union of the children's, and `validate` runs every child's `validate` in order. Its name lists
 * the children: `allOf(targetFlops(0.5), targetParams(0.5))`. Nest freely with {@link anyOf}.
 *
 * @param policies At least one policy: an object with a name and a check function.
 * @throws PruneError `INVALID_OPTION` with no argument, or an argument that is not a policy.
 *
 * @example
 * ```ts
 * import { allOf, anyOf, maxMetricDrop, maxSteps, targetFlops, targetParams } from 'tfjs-prune';
 *
 * // Both targets met, or 30 steps; roll back as soon as accuracy drops by more than 0.01.
 * const policy = anyOf(allOf(targetFlops(0.5), targetParams(0.5)), maxSteps(30), maxMetricDrop('accuracy', 0.01));
 * ```
 */
export function allOf(...policies: StopPolicy[]): StopPolicy {
  assertPolicies('allOf', policies);
  const children = Object.freeze([...policies]);
  return Object.freeze({
    name: combinedName('allOf', children),
    ...combinedParts(children),
    // Landing needs every child's stop to be a cost target (a metric bound cannot be predicted).
    ...(children.every((c) => c.meetsTarget !== undefined)
      ? { meetsTarget: (cost: { flops: number; params: number }, baseline: Measurement): boolean => children.every((c) => c.meetsTarget!(cost, baseline)) }
      : {}),
    check(state: LoopState): StopDecision {
      const decisions = childDecisions('allOf', children, state);
      const rollback = decisions.find((d) => d.stop && d.rollback === true);
      if (rollback !== undefined) return rollback;
      if (!decisions.every((d) => d.stop)) return { stop: false };
      return {
        stop: true,
        reason: decisions.map((d) => d.reason).join('; '),
        by: `allOf(${decisions.map((d) => d.by).join(', ')})`,
      };
    },
  });
}
