import { targetFlops } from '../../src/stopping/target-flops';
import { targetLatency } from '../../src/stopping/target-latency';
import { targetParams } from '../../src/stopping/target-params';
import { BASELINE, context, expectPruneError, measurement, state } from './fixtures';

describe('targetFlops', () => {
  const policy = targetFlops(0.5);

  it('has a stable name, no requirements and no bound; it is frozen', () => {
    expect(policy.name).toBe('targetFlops(0.5)');
    expect(policy.requires).toBeUndefined();
    expect(policy.bound).toBeUndefined();
    expect(Object.isFrozen(policy)).toBe(true);
    expect(targetFlops(0.125).name).toBe('targetFlops(0.125)');
  });

  it('stops exactly at the target and not one FLOP above it', () => {
    expect(policy.check(state({ flops: 5000 }))).toEqual({
      stop: true,
      reason: 'FLOPs at 50.0% of the original <= 50% (5000 of 10000)',
      by: 'targetFlops(0.5)',
    });
    expect(policy.check(state({ flops: 5001 }))).toEqual({ stop: false });
    expect(policy.check(state({ flops: 10000 }))).toEqual({ stop: false });
  });

  it('stops below the target, with the fraction rounded to one decimal in the reason', () => {
    const base = measurement({ flops: 706752 });
    expect(policy.check(state({ flops: 351200 }, { baseline: base }))).toEqual({
      stop: true,
      reason: 'FLOPs at 49.7% of the original <= 50% (351200 of 706752)',
      by: 'targetFlops(0.5)',
    });
  });

  it('compares the fraction, so a model at exactly 29% meets targetFlops(0.29) (0.29 * 100 rounds below 29)', () => {
    expect(0.29 * 100).toBeLessThan(29);
    const decision = targetFlops(0.29).check(state({ flops: 29 }, { baseline: measurement({ flops: 100 }) }));
    expect(decision).toEqual({ stop: true, reason: 'FLOPs at 29.0% of the original <= 29% (29 of 100)', by: 'targetFlops(0.29)' });
  });

  it('validates a baseline with FLOPs and refuses one without', () => {
    expect(() => policy.validate!(context())).not.toThrow();
    expect(() => policy.validate!(context({ measuresLatency: false, metrics: {} }))).not.toThrow();
    expectPruneError(() => policy.validate!(context({ baseline: measurement({ flops: 0 }) })), 'INVALID_OPTION', "targetFlops(0.5): the original model's flops is 0", 'finite flops > 0');
    expectPruneError(() => policy.check(state({ flops: 0 }, { baseline: measurement({ flops: 0 }) })), 'INVALID_OPTION', 'flops is 0');
  });

  it.each([
    [1, 'targetFlops(1): a ratio >= 1 is a target the original model already meets'],
    [1.5, 'targetFlops(1.5): a ratio >= 1 is a target the original model already meets'],
    [0, 'targetFlops(0): a ratio <= 0 asks for a model with no FLOPs at all'],
    [-0.2, 'targetFlops(-0.2): a ratio <= 0'],
    [NaN, 'targetFlops(NaN): the ratio is not a finite number'],
    [Infinity, 'targetFlops(Infinity): the ratio is not a finite number'],
    ['0.5', 'targetFlops("0.5"): the ratio is not a finite number'],
    [undefined, 'targetFlops(undefined): the ratio is not a finite number'],
  ])('refuses the ratio %p', (ratio, fragment) => {
    expectPruneError(() => targetFlops(ratio as number), 'INVALID_OPTION', fragment, 'Expected a finite number in (0, 1)', 'targetFlops(0.5)');
  });

  it('is stateless: one policy answers several runs independently', () => {
    const small = state({ flops: 40 }, { baseline: measurement({ flops: 100 }) });
    const large = state({ flops: 9000 });
    expect(policy.check(large)).toEqual({ stop: false });
    expect(policy.check(small).stop).toBe(true);
    expect(policy.check(large)).toEqual({ stop: false });
  });
});

describe('targetParams', () => {
  const policy = targetParams(0.3);

  it('stops exactly at the target and not one parameter above it', () => {
    expect(policy.name).toBe('targetParams(0.3)');
    expect(policy.requires).toBeUndefined();
    expect(policy.bound).toBeUndefined();
    expect(policy.check(state({ params: 300 }))).toEqual({
      stop: true,
      reason: 'params at 30.0% of the original <= 30% (300 of 1000)',
      by: 'targetParams(0.3)',
    });
    expect(policy.check(state({ params: 301 }))).toEqual({ stop: false });
  });

  it('reads params, not FLOPs', () => {
    expect(policy.check(state({ params: 1000, flops: 1 }))).toEqual({ stop: false });
    expect(policy.check(state({ params: 254, flops: 10000 })).reason).toBe('params at 25.4% of the original <= 30% (254 of 1000)');
  });

  it('refuses ratios outside (0, 1) with the quantity in the message', () => {
    expectPruneError(() => targetParams(1), 'INVALID_OPTION', 'targetParams(1)', '100% of its own params', 'targetParams(0.5)');
    expectPruneError(() => targetParams(0), 'INVALID_OPTION', 'no params at all');
  });

  it('refuses a baseline without parameters', () => {
    expectPruneError(() => policy.validate!(context({ baseline: measurement({ params: 0 }) })), 'INVALID_OPTION', "the original model's params is 0");
  });
});

describe('targetLatency', () => {
  const policy = targetLatency(0.5);

  it('requires latency measurements', () => {
    expect(policy.name).toBe('targetLatency(0.5)');
    expect(policy.requires).toEqual({ latency: true });
    expect(policy.bound).toBeUndefined();
  });

  it('stops exactly at the target and not just above it', () => {
    expect(policy.check(state({ latencyMs: 1 }))).toEqual({
      stop: true,
      reason: 'latency at 50.0% of the original <= 50% (1 ms of 2 ms)',
      by: 'targetLatency(0.5)',
    });
    expect(policy.check(state({ latencyMs: 1.001 }))).toEqual({ stop: false });
    const base = measurement({ latencyMs: 1.38 });
    expect(policy.check(state({ latencyMs: 0.69 }, { baseline: base }))).toEqual({
      stop: true,
      reason: 'latency at 50.0% of the original <= 50% (0.69 ms of 1.38 ms)',
      by: 'targetLatency(0.5)',
    });
    expect(policy.check(state({ latencyMs: 0.6901 }, { baseline: base }))).toEqual({ stop: false });
  });

  it('validate refuses a run that does not measure latency, or a baseline without it', () => {
    expect(() => policy.validate!(context())).not.toThrow();
    expectPruneError(
      () => policy.validate!(context({ measuresLatency: false })),
      'MISSING_DATA',
      'targetLatency(0.5): this run does not measure latency',
      'measuresLatency: true',
    );
    const noLatency = { ...BASELINE };
    delete noLatency.latencyMs;
    expectPruneError(() => policy.validate!(context({ baseline: noLatency })), 'MISSING_DATA', 'the baseline measurement has no latencyMs');
  });

  it('check refuses a step measured without latency', () => {
    const current = { ...BASELINE };
    delete current.latencyMs;
    expectPruneError(() => policy.check({ ...state({}), current }), 'MISSING_DATA', 'the current measurement has no latencyMs (got undefined)');
  });

  it('refuses ratios outside (0, 1)', () => {
    expectPruneError(() => targetLatency(2), 'INVALID_OPTION', 'targetLatency(2): a ratio >= 1 is a target the original model already meets');
  });
});
