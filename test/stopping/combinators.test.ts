import type { Measurement } from '../../src/report/measurement';
import type { StopPolicy } from '../../src/stopping/stop-policy';
import { allOf } from '../../src/stopping/all-of';
import { anyOf } from '../../src/stopping/any-of';
import { maxMetricDrop } from '../../src/stopping/max-metric-drop';
import { maxSteps } from '../../src/stopping/max-steps';
import { minMetric } from '../../src/stopping/min-metric';
import { targetFlops } from '../../src/stopping/target-flops';
import { targetLatency } from '../../src/stopping/target-latency';
import { targetParams } from '../../src/stopping/target-params';
import { BASELINE, METRICS, context, expectPruneError, measurement, state } from './fixtures';

const FLOPS_MET = 'FLOPs at 50.0% of the original <= 50% (5000 of 10000)';
const PARAMS_MET = 'params at 50.0% of the original <= 50% (500 of 1000)';
const ACCURACY_BROKEN = 'accuracy dropped by 0.065 > 0.01 (0.965 -> 0.9)';

describe('anyOf', () => {
  const policy = anyOf(targetFlops(0.5), maxMetricDrop('accuracy', 0.01));

  it('is named after its children and frozen', () => {
    expect(policy.name).toBe('anyOf(targetFlops(0.5), maxMetricDrop(accuracy, 0.01))');
    expect(Object.isFrozen(policy)).toBe(true);
  });

  it('does not stop while no child stops', () => {
    expect(policy.check(state({ flops: 5001, metrics: { accuracy: 0.96 } }))).toEqual({ stop: false });
  });

  it('passes the stopping child’s decision through, by included', () => {
    expect(policy.check(state({ flops: 5000, metrics: { accuracy: 0.96 } }))).toEqual({ stop: true, reason: FLOPS_MET, by: 'targetFlops(0.5)' });
    expect(policy.check(state({ flops: 9000, metrics: { accuracy: 0.9 } }))).toEqual({
      stop: true,
      rollback: true,
      reason: ACCURACY_BROKEN,
      by: 'maxMetricDrop(accuracy, 0.01)',
    });
  });

  it('takes the first stopping child in argument order', () => {
    const both = state({ flops: 5000, params: 500 });
    expect(anyOf(targetFlops(0.5), targetParams(0.5)).check(both)).toEqual({ stop: true, reason: FLOPS_MET, by: 'targetFlops(0.5)' });
    expect(anyOf(targetParams(0.5), targetFlops(0.5)).check(both)).toEqual({ stop: true, reason: PARAMS_MET, by: 'targetParams(0.5)' });
  });

  it('prefers a rollback to a plain stop, so a model breaking a bound is never kept', () => {
    expect(policy.check(state({ flops: 5000, metrics: { accuracy: 0.9 } }))).toEqual({
      stop: true,
      rollback: true,
      reason: ACCURACY_BROKEN,
      by: 'maxMetricDrop(accuracy, 0.01)',
    });
  });

  it('bound is every child’s bound; children without one count as holding', () => {
    const bounded = anyOf(targetFlops(0.5), maxMetricDrop('accuracy', 0.01), minMetric('loss', 0.2));
    const m = (accuracy: number, loss: number) => measurement({ metrics: { accuracy, loss } });
    expect(bounded.bound!(m(0.96, 0.15), BASELINE, METRICS)).toBe(true);
    expect(bounded.bound!(m(0.95, 0.15), BASELINE, METRICS)).toBe(false);
    expect(bounded.bound!(m(0.96, 0.25), BASELINE, METRICS)).toBe(false);
    expect(anyOf(targetFlops(0.5), maxSteps(3)).bound).toBeUndefined();
  });

  it('requires the union of its children’s requirements', () => {
    expect(policy.requires).toEqual({ metrics: ['accuracy'] });
    expect(anyOf(targetFlops(0.5), maxSteps(3)).requires).toBeUndefined();
    expect(
      anyOf(targetLatency(0.5), maxMetricDrop('accuracy', 0.01), minMetric('accuracy', 0.9), maxMetricDrop('loss', 0.1)).requires,
    ).toEqual({ latency: true, metrics: ['accuracy', 'loss'] });
  });

  it('validate runs every child’s validate', () => {
    expect(() => policy.validate!(context())).not.toThrow();
    expect(() => anyOf(maxSteps(3)).validate!(context())).not.toThrow();
    expectPruneError(() => policy.validate!(context({ metrics: {} })), 'MISSING_DATA', 'maxMetricDrop(accuracy, 0.01)', 'data.validation');
    expectPruneError(
      () => anyOf(targetFlops(0.5), targetLatency(0.5)).validate!(context({ measuresLatency: false })),
      'MISSING_DATA',
      'targetLatency(0.5): this run does not measure latency',
    );
  });
});

describe('allOf', () => {
  const policy = allOf(targetFlops(0.5), targetParams(0.5));

  it('is named after its children', () => {
    expect(policy.name).toBe('allOf(targetFlops(0.5), targetParams(0.5))');
    expect(policy.requires).toBeUndefined();
    expect(policy.bound).toBeUndefined();
  });

  it('stops only when every child stops, joining their reasons', () => {
    expect(policy.check(state({ flops: 5000, params: 501 }))).toEqual({ stop: false });
    expect(policy.check(state({ flops: 5001, params: 500 }))).toEqual({ stop: false });
    expect(policy.check(state({ flops: 5000, params: 500 }))).toEqual({
      stop: true,
      reason: `${FLOPS_MET}; ${PARAMS_MET}`,
      by: 'allOf(targetFlops(0.5), targetParams(0.5))',
    });
  });

  it('stops at once with a rollback when a child’s bound breaks, without waiting for the others', () => {
    const bounded = allOf(targetFlops(0.5), maxMetricDrop('accuracy', 0.01), minMetric('loss', 0.2));
    expect(bounded.check(state({ flops: 9000, metrics: { accuracy: 0.9, loss: 0.3 } }))).toEqual({
      stop: true,
      rollback: true,
      reason: ACCURACY_BROKEN,
      by: 'maxMetricDrop(accuracy, 0.01)',
    });
    expect(bounded.check(state({ flops: 9000, metrics: { loss: 0.3 } }))).toEqual({
      stop: true,
      rollback: true,
      reason: 'loss 0.3 > 0.2 (at most 0.2 required; 0.11 originally)',
      by: 'minMetric(loss, 0.2)',
    });
    // Bounds that hold never say stop, so an allOf with a bound never stops without a rollback.
    expect(bounded.check(state({ flops: 5000 }))).toEqual({ stop: false });
    expect(bounded.requires).toEqual({ metrics: ['accuracy', 'loss'] });
    expect(bounded.bound!(measurement({ metrics: { accuracy: 0.96, loss: 0.19 } }), BASELINE, METRICS)).toBe(true);
    expect(bounded.bound!(measurement({ metrics: { accuracy: 0.96, loss: 0.21 } }), BASELINE, METRICS)).toBe(false);
  });

  it('validate runs every child’s validate', () => {
    expectPruneError(
      () => allOf(targetFlops(0.5), minMetric('accuracy', 0.99)).validate!(context()),
      'INVALID_OPTION',
      'minMetric(accuracy, 0.99): the original model already has accuracy 0.965',
    );
  });
});

describe('nesting', () => {
  const policy = anyOf(allOf(targetFlops(0.5), targetParams(0.5)), maxSteps(10), maxMetricDrop('accuracy', 0.01));

  it('names, requirements and bound compose', () => {
    expect(policy.name).toBe('anyOf(allOf(targetFlops(0.5), targetParams(0.5)), maxSteps(10), maxMetricDrop(accuracy, 0.01))');
    expect(policy.requires).toEqual({ metrics: ['accuracy'] });
    expect(policy.bound!(measurement({ metrics: { accuracy: 0.955 } }), BASELINE, METRICS)).toBe(true);
    expect(policy.bound!(measurement({ metrics: { accuracy: 0.95 } }), BASELINE, METRICS)).toBe(false);
  });

  it('reports which branch fired', () => {
    expect(policy.check(state({ flops: 5000 }, { step: 4 }))).toEqual({ stop: false });
    expect(policy.check(state({ flops: 5000 }, { step: 10 }))).toEqual({ stop: true, reason: 'reached step 10 of at most 10', by: 'maxSteps(10)' });
    expect(policy.check(state({ flops: 5000, params: 500 }, { step: 10 }))).toEqual({
      stop: true,
      reason: `${FLOPS_MET}; ${PARAMS_MET}`,
      by: 'allOf(targetFlops(0.5), targetParams(0.5))',
    });
    expect(policy.check(state({ flops: 5000, params: 500, metrics: { accuracy: 0.9 } }, { step: 10 }))).toEqual({
      stop: true,
      rollback: true,
      reason: ACCURACY_BROKEN,
      by: 'maxMetricDrop(accuracy, 0.01)',
    });
  });

  it('allOf shows the leaves that fired inside a nested anyOf', () => {
    const nested = allOf(anyOf(targetFlops(0.5), maxSteps(5)), targetParams(0.5));
    expect(nested.check(state({ params: 500 }, { step: 5 }))).toEqual({
      stop: true,
      reason: `reached step 5 of at most 5; ${PARAMS_MET}`,
      by: 'allOf(maxSteps(5), targetParams(0.5))',
    });
  });

  it('a rollback deep inside travels up through every level', () => {
    const deep = allOf(targetFlops(0.5), anyOf(maxSteps(10), allOf(targetParams(0.5), minMetric('loss', 0.2))));
    expect(deep.check(state({ flops: 9000, params: 900, metrics: { loss: 0.3 } }))).toEqual({
      stop: true,
      rollback: true,
      reason: 'loss 0.3 > 0.2 (at most 0.2 required; 0.11 originally)',
      by: 'minMetric(loss, 0.2)',
    });
    expect(deep.requires).toEqual({ metrics: ['loss'] });
    expect(deep.bound!(measurement({ metrics: { loss: 0.3 } }), BASELINE, METRICS)).toBe(false);
  });

  it('is stateless across runs whose metrics have other directions', () => {
    const p = anyOf(maxSteps(10), maxMetricDrop('score', 0.1));
    const base = measurement({ metrics: { score: 1 } });
    p.validate!(context({ baseline: base, metrics: { score: 'lower' } }));
    const s = state({ metrics: { score: 1.5 } }, { baseline: base, metrics: { score: 'higher' } });
    expect(p.check(s)).toEqual({ stop: false });
    expect(p.check({ ...s, metrics: { score: 'lower' } }).rollback).toBe(true);
  });
});

describe('custom policies inside combinators', () => {
  it('uses the child’s name as by and as a fallback reason, and calls its methods on the policy itself', () => {
    const custom = {
      name: 'params < 700',
      limit: 700,
      check(this: { limit: number }, s: { current: { params: number } }) {
        return { stop: s.current.params < this.limit };
      },
    };
    const policy = anyOf(maxSteps(10), custom as StopPolicy);
    expect(policy.check(state({ params: 699 }))).toEqual({ stop: true, reason: 'params < 700 stopped', by: 'params < 700' });
    expect(policy.check(state({ params: 700 }))).toEqual({ stop: false });
  });

  it('passes a custom child’s own by and rollback through, and ignores rollback without stop', () => {
    const custom: StopPolicy = { name: 'mine', check: () => ({ stop: true, rollback: true, reason: 'bad', by: 'mine/leaf' }) };
    expect(allOf(targetFlops(0.5), custom).check(state({}))).toEqual({ stop: true, rollback: true, reason: 'bad', by: 'mine/leaf' });
    const confused: StopPolicy = { name: 'confused', check: () => ({ stop: false, rollback: true }) };
    expect(anyOf(confused).check(state({}))).toEqual({ stop: false });
    expect(allOf(confused, targetFlops(0.5)).check(state({ flops: 10 }))).toEqual({ stop: false });
  });

  it('refuses a child check that returns something other than a decision', () => {
    const broken = { name: 'broken', check: () => true } as unknown as StopPolicy;
    expectPruneError(() => anyOf(broken).check(state({})), 'INVALID_OPTION', "anyOf: policy 'broken' returned true from check", '{ stop: false }');
    const empty = { name: 'empty', check: () => undefined } as unknown as StopPolicy;
    expectPruneError(() => allOf(empty).check(state({})), 'INVALID_OPTION', "allOf: policy 'empty' returned undefined from check");
  });
});

describe('bad combinator arguments', () => {
  const ok = targetFlops(0.5);

  it.each([
    ['anyOf', anyOf],
    ['allOf', allOf],
  ] as const)('%s needs at least one policy', (name, combine) => {
    expectPruneError(() => combine(), 'INVALID_OPTION', `${name}(): needs at least one policy; got none`, `${name}(targetFlops(0.5)`);
  });

  it.each([
    [42, 'argument 1 is not a stopping policy: got 42'],
    [null, 'argument 1 is not a stopping policy: got null'],
    ['targetFlops(0.5)', 'got "targetFlops(0.5)"'],
    [targetFlops, 'got a function (targetFlops); call the factory'],
    [[ok, ok], 'got an array; spread it: anyOf(...policies)'],
    [{ name: 'x' }, 'its check is undefined, not a function'],
    [{ name: '', check: () => ({ stop: false }) }, 'its name is "", not a non-empty string'],
    [{ check: () => ({ stop: false }) }, 'its name is undefined'],
    [{ name: 'x', check: () => ({ stop: false }), bound: true }, 'its bound is true, not a function'],
    [{ name: 'x', check: () => ({ stop: false }), validate: 'yes' }, 'its validate is "yes", not a function'],
    [{ name: 'x', check: () => ({ stop: false }), requires: { metrics: 'accuracy' } }, 'its requires.metrics is "accuracy", not an array'],
    [{ name: 'x', check: () => ({ stop: false }), requires: { latency: 1 } }, 'its requires.latency is 1, not a boolean'],
  ])('anyOf refuses %p', (arg, fragment) => {
    expectPruneError(() => anyOf(arg as unknown as StopPolicy), 'INVALID_OPTION', fragment, 'Expected an object with a non-empty string name and a check function');
  });

  it('names the position of the bad argument', () => {
    expectPruneError(() => allOf(ok, maxSteps(3), {} as StopPolicy), 'INVALID_OPTION', 'allOf: argument 3 is not a stopping policy');
  });
});

describe('meetsTarget: what a cost target says about a model of given counts', () => {
  const baseline = { params: 1000, flops: 2000, metrics: {} } as unknown as Measurement;
  test('targetFlops and targetParams compare the fraction; latency targets and bounds have none', () => {
    expect(targetFlops(0.5).meetsTarget!({ flops: 1000, params: 1000 }, baseline)).toBe(true);
    expect(targetFlops(0.5).meetsTarget!({ flops: 1001, params: 0 }, baseline)).toBe(false);
    expect(targetParams(0.3).meetsTarget!({ flops: 2000, params: 300 }, baseline)).toBe(true);
    expect(targetParams(0.3).meetsTarget!({ flops: 0, params: 301 }, baseline)).toBe(false);
    expect(targetLatency(0.5).meetsTarget).toBeUndefined();
    expect(maxSteps(3).meetsTarget).toBeUndefined();
  });
  test('anyOf: any child target met; allOf: only when every child is a cost target, all met', () => {
    const any = anyOf(targetFlops(0.5), targetParams(0.3), maxSteps(3));
    expect(any.meetsTarget!({ flops: 1000, params: 900 }, baseline)).toBe(true);
    expect(any.meetsTarget!({ flops: 1500, params: 300 }, baseline)).toBe(true);
    expect(any.meetsTarget!({ flops: 1500, params: 900 }, baseline)).toBe(false);
    expect(anyOf(maxSteps(3)).meetsTarget).toBeUndefined();
    const all = allOf(targetFlops(0.5), targetParams(0.3));
    expect(all.meetsTarget!({ flops: 1000, params: 300 }, baseline)).toBe(true);
    expect(all.meetsTarget!({ flops: 1000, params: 301 }, baseline)).toBe(false);
    expect(allOf(targetFlops(0.5), maxSteps(3)).meetsTarget).toBeUndefined();
  });
});
