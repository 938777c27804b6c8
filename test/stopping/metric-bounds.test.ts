import { maxMetricDrop } from '../../src/stopping/max-metric-drop';
import { minMetric } from '../../src/stopping/min-metric';
import { BASELINE, METRICS, context, expectPruneError, measurement, state } from './fixtures';

describe('maxMetricDrop on a higher-is-better metric (accuracy 0.965 originally)', () => {
  const policy = maxMetricDrop('accuracy', 0.01);
  const at = (accuracy: number) => measurement({ metrics: { accuracy, loss: 0.11 } });

  it('has a stable name, requires the metric, and is frozen', () => {
    expect(policy.name).toBe('maxMetricDrop(accuracy, 0.01)');
    expect(policy.requires).toEqual({ metrics: ['accuracy'] });
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.requires!.metrics)).toBe(true);
  });

  it('holds at a drop of exactly 0.01 (0.965 - 0.955 is 0.010000000000000009 in floats) and breaks just above', () => {
    expect(0.965 - 0.955).toBeGreaterThan(0.01);
    expect(policy.check(state({ metrics: { accuracy: 0.955 } }))).toEqual({ stop: false });
    expect(policy.bound!(at(0.955), BASELINE, METRICS)).toBe(true);
    expect(policy.check(state({ metrics: { accuracy: 0.9549 } }))).toEqual({
      stop: true,
      rollback: true,
      reason: 'accuracy dropped by 0.0101 > 0.01 (0.965 -> 0.9549)',
      by: 'maxMetricDrop(accuracy, 0.01)',
    });
    expect(policy.bound!(at(0.9549), BASELINE, METRICS)).toBe(false);
  });

  it('says by how much the metric dropped', () => {
    expect(policy.check(state({ metrics: { accuracy: 0.9527 } }))).toEqual({
      stop: true,
      rollback: true,
      reason: 'accuracy dropped by 0.0123 > 0.01 (0.965 -> 0.9527)',
      by: 'maxMetricDrop(accuracy, 0.01)',
    });
  });

  it('shows enough digits that the drop never reads as equal to the limit', () => {
    const base = measurement({ metrics: { accuracy: 1 } });
    expect(policy.check(state({ metrics: { accuracy: 0.9899999 } }, { baseline: base })).reason).toBe(
      'accuracy dropped by 0.0100001 > 0.01 (1 -> 0.9899999)',
    );
  });

  it('holds when the metric improves, and with drop 0 only while it does not worsen', () => {
    expect(policy.check(state({ metrics: { accuracy: 0.99 } }))).toEqual({ stop: false });
    const strict = maxMetricDrop('accuracy', 0);
    expect(strict.name).toBe('maxMetricDrop(accuracy, 0)');
    expect(strict.bound!(at(0.965), BASELINE, METRICS)).toBe(true);
    expect(strict.check(state({ metrics: { accuracy: 0.964 } }))).toEqual({
      stop: true,
      rollback: true,
      reason: 'accuracy dropped by 0.001 > 0 (0.965 -> 0.964)',
      by: 'maxMetricDrop(accuracy, 0)',
    });
  });

  it('treats a NaN metric as breaking the bound', () => {
    expect(policy.bound!(at(NaN), BASELINE, METRICS)).toBe(false);
    expect(policy.check(state({ metrics: { accuracy: NaN } }))).toEqual({
      stop: true,
      rollback: true,
      reason: 'accuracy is NaN (0.965 originally), which breaks maxMetricDrop(accuracy, 0.01)',
      by: 'maxMetricDrop(accuracy, 0.01)',
    });
  });
});

describe('maxMetricDrop on a lower-is-better metric (loss 0.11 originally)', () => {
  const policy = maxMetricDrop('loss', 0.05);
  const at = (loss: number) => measurement({ metrics: { accuracy: 0.965, loss } });

  it('holds while the loss rises by at most the drop and breaks just above', () => {
    expect(policy.name).toBe('maxMetricDrop(loss, 0.05)');
    expect(policy.requires).toEqual({ metrics: ['loss'] });
    expect(policy.check(state({ metrics: { loss: 0.16 } }))).toEqual({ stop: false });
    expect(policy.bound!(at(0.16), BASELINE, METRICS)).toBe(true);
    expect(policy.check(state({ metrics: { loss: 0.1601 } }))).toEqual({
      stop: true,
      rollback: true,
      reason: 'loss rose by 0.0501 > 0.05 (0.11 -> 0.1601)',
      by: 'maxMetricDrop(loss, 0.05)',
    });
    expect(policy.bound!(at(0.1601), BASELINE, METRICS)).toBe(false);
  });

  it('holds when the loss falls, however far', () => {
    expect(policy.check(state({ metrics: { loss: 0.01 } }))).toEqual({ stop: false });
    expect(policy.bound!(at(0), BASELINE, METRICS)).toBe(true);
  });
});

describe('maxMetricDrop reads the direction of each run, never from the name or a previous run', () => {
  const policy = maxMetricDrop('score', 0.1);
  const base = measurement({ metrics: { score: 1 } });
  const higher = { score: 'higher' } as const;
  const lower = { score: 'lower' } as const;

  it('gives opposite verdicts for the same numbers under opposite directions', () => {
    policy.validate!(context({ baseline: base, metrics: higher }));
    const rising = state({ metrics: { score: 1.5 } }, { baseline: base, metrics: lower });
    expect(policy.check(rising)).toEqual({
      stop: true,
      rollback: true,
      reason: 'score rose by 0.5 > 0.1 (1 -> 1.5)',
      by: 'maxMetricDrop(score, 0.1)',
    });
    expect(policy.check({ ...rising, metrics: higher })).toEqual({ stop: false });
    expect(policy.bound!(measurement({ metrics: { score: 1.5 } }), base, lower)).toBe(false);
    expect(policy.bound!(measurement({ metrics: { score: 1.5 } }), base, higher)).toBe(true);
    expect(policy.bound!(measurement({ metrics: { score: 0.85 } }), base, higher)).toBe(false);
  });

  it('does not guess "loss" is lower-is-better from its name', () => {
    const lossUp = maxMetricDrop('loss', 0.05);
    expect(lossUp.check(state({ metrics: { loss: 1 } }, { metrics: { loss: 'higher' } }))).toEqual({ stop: false });
  });
});

describe('maxMetricDrop refusals', () => {
  const policy = maxMetricDrop('accuracy', 0.01);

  it('validate accepts a run measuring the metric', () => {
    expect(() => policy.validate!(context())).not.toThrow();
    expect(() => policy.validate!(context({ measuresLatency: false }))).not.toThrow();
  });

  it('validate refuses a run without validation data (MISSING_DATA)', () => {
    expectPruneError(
      () => policy.validate!(context({ metrics: {} })),
      'MISSING_DATA',
      "maxMetricDrop(accuracy, 0.01): a metric bound needs validation data to measure 'accuracy'",
      'pass data.validation',
    );
  });

  it('validate refuses an unknown metric, listing the known ones (INVALID_OPTION)', () => {
    expectPruneError(
      () => maxMetricDrop('acc', 0.01).validate!(context()),
      'INVALID_OPTION',
      "maxMetricDrop(acc, 0.01): this run measures no metric named 'acc'",
      'known metrics: loss, accuracy',
    );
  });

  it('validate refuses a baseline without a finite value, and a direction that is neither higher nor lower', () => {
    expectPruneError(
      () => policy.validate!(context({ baseline: measurement({ metrics: { loss: 0.1 } }) })),
      'MISSING_DATA',
      "the baseline measurement has no finite value for 'accuracy' (got undefined)",
    );
    expectPruneError(
      () => policy.validate!(context({ baseline: measurement({ metrics: { accuracy: NaN } }) })),
      'MISSING_DATA',
      "no finite value for 'accuracy' (got NaN)",
    );
    expectPruneError(
      () => policy.validate!(context({ metrics: { accuracy: 'up' as never } })),
      'INVALID_OPTION',
      `metric 'accuracy' declares the direction "up"; expected 'higher' or 'lower'`,
    );
  });

  it('check and bound refuse the same misuse when the loop did not call validate', () => {
    expectPruneError(() => policy.check(state({}, { metrics: {} })), 'MISSING_DATA', 'pass data.validation');
    expectPruneError(() => policy.check(state({}, { metrics: { loss: 'lower' } })), 'INVALID_OPTION', 'known metrics: loss');
    expectPruneError(() => policy.bound!(BASELINE, BASELINE, {}), 'MISSING_DATA', 'validation data');
    expectPruneError(
      () => policy.check({ ...state({}), current: measurement({ metrics: { loss: 0.2 } }) }),
      'MISSING_DATA',
      "the current measurement has no value for 'accuracy' (got undefined)",
    );
  });

  it.each([
    ['', 0.01, 'maxMetricDrop("", 0.01): the metric must be a non-empty string'],
    [7, 0.01, 'maxMetricDrop(7, 0.01): the metric must be a non-empty string'],
    ['accuracy', -0.01, 'maxMetricDrop(accuracy, -0.01): the drop must be a finite number >= 0'],
    ['accuracy', NaN, 'maxMetricDrop(accuracy, NaN): the drop must be a finite number >= 0'],
    ['accuracy', Infinity, 'maxMetricDrop(accuracy, Infinity)'],
    ['accuracy', '0.01', 'maxMetricDrop(accuracy, "0.01")'],
  ])('refuses maxMetricDrop(%p, %p)', (metric, drop, fragment) => {
    expectPruneError(() => maxMetricDrop(metric as string, drop as number), 'INVALID_OPTION', fragment);
  });
});

describe('minMetric on a higher-is-better metric', () => {
  const policy = minMetric('accuracy', 0.9);
  const at = (accuracy: number) => measurement({ metrics: { accuracy, loss: 0.11 } });

  it('has a stable name and requires the metric', () => {
    expect(policy.name).toBe('minMetric(accuracy, 0.9)');
    expect(policy.requires).toEqual({ metrics: ['accuracy'] });
    expect(Object.isFrozen(policy)).toBe(true);
  });

  it('holds at exactly the value and breaks just below', () => {
    expect(policy.check(state({ metrics: { accuracy: 0.9 } }))).toEqual({ stop: false });
    expect(policy.bound!(at(0.9), BASELINE, METRICS)).toBe(true);
    expect(policy.check(state({ metrics: { accuracy: 0.8812 } }))).toEqual({
      stop: true,
      rollback: true,
      reason: 'accuracy 0.8812 < 0.9 (at least 0.9 required; 0.965 originally)',
      by: 'minMetric(accuracy, 0.9)',
    });
    expect(policy.check(state({ metrics: { accuracy: 0.8999999 } })).reason).toBe(
      'accuracy 0.8999999 < 0.9 (at least 0.9 required; 0.965 originally)',
    );
    expect(policy.bound!(at(0.8999999), BASELINE, METRICS)).toBe(false);
  });

  it('is absolute: the baseline passed to bound does not matter', () => {
    expect(policy.bound!(at(0.95), measurement({ metrics: { accuracy: 0.2 } }), METRICS)).toBe(true);
    expect(policy.bound!(at(0.85), measurement({ metrics: { accuracy: 0.99 } }), METRICS)).toBe(false);
  });

  it('treats NaN as breaking the bound', () => {
    expect(policy.bound!(at(NaN), BASELINE, METRICS)).toBe(false);
    expect(policy.check(state({ metrics: { accuracy: NaN } }))).toEqual({
      stop: true,
      rollback: true,
      reason: 'accuracy is NaN, which breaks minMetric(accuracy, 0.9)',
      by: 'minMetric(accuracy, 0.9)',
    });
  });

  it('validate refuses a minimum the original model already misses', () => {
    expect(() => policy.validate!(context())).not.toThrow();
    expect(() => minMetric('accuracy', 0.965).validate!(context())).not.toThrow();
    expectPruneError(
      () => minMetric('accuracy', 0.99).validate!(context()),
      'INVALID_OPTION',
      'minMetric(accuracy, 0.99): the original model already has accuracy 0.965, below the required 0.99',
      'every pruned model would be rolled back',
      'make it lower than 0.965',
      "maxMetricDrop('accuracy', drop)",
    );
  });
});

describe('minMetric on a lower-is-better metric (a maximum loss)', () => {
  const policy = minMetric('loss', 0.25);
  const at = (loss: number) => measurement({ metrics: { accuracy: 0.965, loss } });

  it('holds at exactly the value and breaks just above', () => {
    expect(policy.name).toBe('minMetric(loss, 0.25)');
    expect(policy.check(state({ metrics: { loss: 0.25 } }))).toEqual({ stop: false });
    expect(policy.bound!(at(0.25), BASELINE, METRICS)).toBe(true);
    expect(policy.check(state({ metrics: { loss: 0.31 } }))).toEqual({
      stop: true,
      rollback: true,
      reason: 'loss 0.31 > 0.25 (at most 0.25 required; 0.11 originally)',
      by: 'minMetric(loss, 0.25)',
    });
    expect(policy.bound!(at(0.2501), BASELINE, METRICS)).toBe(false);
  });

  it('validate refuses a maximum the original model already exceeds', () => {
    expectPruneError(
      () => minMetric('loss', 0.1).validate!(context()),
      'INVALID_OPTION',
      'minMetric(loss, 0.1): the original model already has loss 0.11, above the required 0.1',
      'make it higher than 0.11',
    );
  });

  it('reads the direction from the run: the same policy is a minimum when the metric is higher-is-better', () => {
    const higher = { loss: 'higher', accuracy: 'higher' } as const;
    expect(policy.bound!(at(0.31), BASELINE, higher)).toBe(true);
    expect(policy.check(state({ metrics: { loss: 0.31 } }, { metrics: higher }))).toEqual({ stop: false });
    expect(policy.check(state({ metrics: { loss: 0.2 } }, { metrics: higher })).reason).toBe(
      'loss 0.2 < 0.25 (at least 0.25 required; 0.11 originally)',
    );
  });
});

describe('minMetric refusals', () => {
  it('validate refuses missing validation data and unknown metrics like maxMetricDrop', () => {
    expectPruneError(() => minMetric('accuracy', 0.9).validate!(context({ metrics: {} })), 'MISSING_DATA', 'minMetric(accuracy, 0.9)', 'data.validation');
    expectPruneError(() => minMetric('top5', 0.9).validate!(context()), 'INVALID_OPTION', "no metric named 'top5'", 'known metrics: loss, accuracy');
  });

  it.each([
    ['', 0.9, 'minMetric("", 0.9): the metric must be a non-empty string'],
    [null, 0.9, 'minMetric(null, 0.9)'],
    ['accuracy', NaN, 'minMetric(accuracy, NaN): the value must be a finite number'],
    ['accuracy', -Infinity, 'minMetric(accuracy, -Infinity)'],
    ['accuracy', undefined, 'minMetric(accuracy, undefined)'],
  ])('refuses minMetric(%p, %p)', (metric, value, fragment) => {
    expectPruneError(() => minMetric(metric as string, value as number), 'INVALID_OPTION', fragment);
  });
});
