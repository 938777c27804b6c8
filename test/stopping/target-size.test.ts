import { anyOf } from '../../src/stopping/any-of';
import { targetFlops } from '../../src/stopping/target-flops';
import { targetSize } from '../../src/stopping/target-size';
import { context, expectPruneError, measurement, state } from './fixtures';

describe('targetSize', () => {
  const policy = targetSize(0.125);
  const base = measurement({ bytes: 80000 });

  it('requires size, has no bound, and anyOf passes the requirement on', () => {
    expect(policy.name).toBe('targetSize(0.125)');
    expect(policy.requires).toEqual({ size: true });
    expect(policy.bound).toBeUndefined();
    expect(anyOf(targetFlops(0.5), policy).requires).toEqual({ size: true });
  });

  it('compares the bytes at the deploy precision (bytesQuantized) with the float32 baseline', () => {
    // 10000 bytes at uint8 of an 80000-byte float32 original: exactly 1/8.
    expect(policy.check(state({ bytes: 40000, bytesQuantized: 10000 }, { baseline: base }))).toEqual({
      stop: true,
      reason: 'bytes at 12.5% of the original <= 12.5% (10 kB of 80 kB)',
      by: 'targetSize(0.125)',
    });
    expect(policy.check(state({ bytes: 40004, bytesQuantized: 10001 }, { baseline: base }))).toEqual({ stop: false });
  });

  it('uses the float32 bytes when there is no deploy precision', () => {
    expect(policy.check(state({ bytes: 10000 }, { baseline: base })).stop).toBe(true);
    expect(policy.check(state({ bytes: 10001 }, { baseline: base })).stop).toBe(false);
  });

  it('refuses a run that does not measure size, and bad ratios', () => {
    expectPruneError(() => policy.validate!(context()), 'MISSING_DATA', 'the baseline measurement has no bytes');
    expectPruneError(() => targetSize(1), 'INVALID_OPTION', 'targetSize(1)');
    expectPruneError(() => targetSize(0), 'INVALID_OPTION', 'targetSize(0)');
  });
});
