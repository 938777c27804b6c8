import { maxSteps } from '../../src/stopping/max-steps';
import { expectPruneError, state } from './fixtures';

describe('maxSteps', () => {
  const policy = maxSteps(3);

  it('has a stable name, no requirements, no bound, no validate', () => {
    expect(policy.name).toBe('maxSteps(3)');
    expect(policy.requires).toBeUndefined();
    expect(policy.bound).toBeUndefined();
    expect(policy.validate).toBeUndefined();
    expect(Object.isFrozen(policy)).toBe(true);
  });

  it('stops at step n, not before', () => {
    expect(policy.check(state({}, { step: 1 }))).toEqual({ stop: false });
    expect(policy.check(state({}, { step: 2 }))).toEqual({ stop: false });
    expect(policy.check(state({}, { step: 3 }))).toEqual({ stop: true, reason: 'reached step 3 of at most 3', by: 'maxSteps(3)' });
    expect(policy.check(state({}, { step: 4 }))).toEqual({ stop: true, reason: 'reached step 4 of at most 3', by: 'maxSteps(3)' });
    expect(maxSteps(1).check(state({}, { step: 1 })).stop).toBe(true);
  });

  it.each([[0], [-1], [2.5], [NaN], [Infinity], ['3'], [undefined]])('refuses maxSteps(%p)', (n) => {
    expectPruneError(() => maxSteps(n as number), 'INVALID_OPTION', 'n must be a positive integer', 'maxSteps(10)');
  });
});
