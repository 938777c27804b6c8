import { PruneError } from '../errors';
import type { Measurement, MetricDirection } from '../report/measurement';
import { describeValue } from './format';
import type { LoopState, StopContext, StopDecision, StopPolicy } from './stop-policy';

/**
 * The parts anyOf and allOf share: argument checks, the combined name, requires, validate and
 * bound, and reading each child's decision. Internal: not exported from the package.
 */

type Combinator = 'anyOf' | 'allOf';

const EXPECTED =
  'Expected an object with a non-empty string name and a check function, such as targetFlops(0.5) or a plain object satisfying StopPolicy';

/** Why `p` is not a policy (with a hint for the usual mistakes), or undefined when it looks like one. */
function policyProblem(factory: Combinator, p: unknown): string | undefined {
  if (Array.isArray(p)) return `got an array; spread it: ${factory}(...policies)`;
  if (typeof p === 'function') return `got ${describeValue(p)}; call the factory, e.g. targetFlops(0.5) rather than targetFlops`;
  if (p === null || typeof p !== 'object') return `got ${describeValue(p)}`;
  const o = p as Record<string, unknown>;
  if (typeof o.name !== 'string' || o.name.length === 0) return `its name is ${describeValue(o.name)}, not a non-empty string`;
  if (typeof o.check !== 'function') return `its check is ${describeValue(o.check)}, not a function`;
  for (const key of ['validate', 'bound', 'meetsTarget'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'function') return `its ${key} is ${describeValue(o[key])}, not a function`;
  }
  if (o.requires !== undefined) {
    const r = o.requires as Record<string, unknown> | null;
    if (r === null || typeof r !== 'object') return `its requires is ${describeValue(r)}, not an object`;
    if (r.latency !== undefined && typeof r.latency !== 'boolean') return `its requires.latency is ${describeValue(r.latency)}, not a boolean`;
    if (r.size !== undefined && typeof r.size !== 'boolean') return `its requires.size is ${describeValue(r.size)}, not a boolean`;
    if (r.metrics !== undefined && !(Array.isArray(r.metrics) && r.metrics.every((m) => typeof m === 'string'))) {
      return `its requires.metrics is ${describeValue(r.metrics)}, not an array of metric names`;
    }
  }
  return undefined;
}

/**
 * Throws INVALID_OPTION unless there is at least one argument and every argument looks like a policy.
 *
 * @example
 * ```ts
 * assertPolicies('anyOf', policies); // throws INVALID_OPTION for anyOf() or anyOf(42)
 * ```
 */
export function assertPolicies(factory: Combinator, policies: readonly unknown[]): asserts policies is readonly StopPolicy[] {
  if (policies.length === 0) {
    throw new PruneError(
      'INVALID_OPTION',
      `${factory}(): needs at least one policy; got none. Pass the policies to combine, e.g. ${factory}(targetFlops(0.5), maxMetricDrop('accuracy', 0.01)).`,
    );
  }
  policies.forEach((p, i) => {
    const problem = policyProblem(factory, p);
    if (problem !== undefined) {
      throw new PruneError('INVALID_OPTION', `${factory}: argument ${i + 1} is not a stopping policy: ${problem}. ${EXPECTED}.`);
    }
  });
}

/**
 * `anyOf(targetFlops(0.5), maxMetricDrop(accuracy, 0.01))`.
 *
 * @example
 * ```ts
 * combinedName('anyOf', [targetFlops(0.5), maxSteps(3)]); // 'anyOf(targetFlops(0.5), maxSteps(3))'
 * ```
 */
export function combinedName(factory: Combinator, policies: readonly StopPolicy[]): string {
  return `${factory}(${policies.map((p) => p.name).join(', ')})`;
}

/**
 * The union of the children's requirements (metrics in order of first appearance), or undefined when there are none.
 *
 * @example
 * ```ts
 * combinedRequires([targetLatency(0.5), maxMetricDrop('loss', 0.1)]); // { latency: true, metrics: ['loss'] }
 * ```
 */
export function combinedRequires(policies: readonly StopPolicy[]): StopPolicy['requires'] {
  const latency = policies.some((p) => p.requires?.latency === true);
  const size = policies.some((p) => p.requires?.size === true);
  const metrics = [...new Set(policies.flatMap((p) => p.requires?.metrics ?? []))];
  if (!latency && !size && metrics.length === 0) return undefined;
  return Object.freeze({ ...(latency ? { latency: true } : {}), ...(size ? { size: true } : {}), ...(metrics.length > 0 ? { metrics: Object.freeze(metrics) } : {}) });
}

/**
 * The parts of a combined policy other than name and check. `bound` is present when some child has one.
 *
 * @example
 * ```ts
 * const policy: StopPolicy = { name, ...combinedParts(children), check };
 * ```
 */
export function combinedParts(policies: readonly StopPolicy[]): Omit<StopPolicy, 'name' | 'check'> {
  const requires = combinedRequires(policies);
  const hasBound = policies.some((p) => p.bound !== undefined);
  return {
    ...(requires !== undefined ? { requires } : {}),
    validate(context: StopContext): void {
      for (const p of policies) p.validate?.(context);
    },
    ...(hasBound
      ? {
          bound(measurement: Measurement, baseline: Measurement, metrics: Record<string, MetricDirection>): boolean {
            return policies.every((p) => (p.bound === undefined ? true : p.bound(measurement, baseline, metrics)));
          },
        }
      : {}),
  };
}

/**
 * Each child's decision, normalised: `{ stop: false }`, or a stop with a reason, `by` (the child's
 * own `by`, else its name) and `rollback: true` when asked for. A child returning something that
 * is not a decision is refused (INVALID_OPTION) rather than read as "do not stop".
 *
 * @example
 * ```ts
 * const [flops, steps] = childDecisions('anyOf', [targetFlops(0.5), maxSteps(3)], state);
 * ```
 */
export function childDecisions(factory: Combinator, policies: readonly StopPolicy[], state: LoopState): StopDecision[] {
  return policies.map((p) => {
    const d: unknown = p.check(state);
    if (d === null || typeof d !== 'object' || typeof (d as StopDecision).stop !== 'boolean') {
      throw new PruneError(
        'INVALID_OPTION',
        `${factory}: policy '${p.name}' returned ${describeValue(d)} from check; expected a StopDecision such as { stop: false } or { stop: true, reason: '...' }. Fix that policy's check.`,
      );
    }
    const decision = d as StopDecision;
    if (!decision.stop) return { stop: false };
    return {
      stop: true,
      reason: decision.reason ?? `${p.name} stopped`,
      ...(decision.rollback === true ? { rollback: true } : {}),
      by: decision.by ?? p.name,
    };
  });
}
