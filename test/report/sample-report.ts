import { PruneError } from '../../src/errors';
import type { PruneReportJSON } from '../../src/report/report-json';

/**
 * A small hand-made report: 2 steps, the second rolled back, no latency; one group not prunable.
 * A new object on every call.
 */
export function sampleReportJSON(): PruneReportJSON {
  return {
    version: 1,
    criterion: 'taylor',
    objective: 'flops',
    metricDirections: { accuracy: 'higher', loss: 'lower' },
    baseline: { params: 10000, flops: 2000000, metrics: { accuracy: 0.95, loss: 0.2 } },
    final: { params: 7000, flops: 1400000, metrics: { accuracy: 0.94, loss: 0.22 } },
    steps: [
      {
        step: 1,
        removedPerGroup: { conv1: 4, dense1: 8 },
        removedPerLayer: { conv1: 4, dense1: 8 },
        channels: { conv1: 12, dense1: 24 },
        params: 7000,
        flops: 1400000,
        metricsBeforeFineTune: { accuracy: 0.8, loss: 0.6 },
        metricsAfterFineTune: { accuracy: 0.94, loss: 0.22 },
        seconds: { scoring: 1.5, surgery: 0.25, fineTune: 10, evaluation: 0.5 },
      },
      {
        step: 2,
        removedPerGroup: { conv1: 4, dense1: 8 },
        removedPerLayer: { conv1: 4, dense1: 8 },
        channels: { conv1: 8, dense1: 16 },
        params: 4500,
        flops: 900000,
        metricsBeforeFineTune: { accuracy: 0.6, loss: 1.1 },
        metricsAfterFineTune: { accuracy: 0.9, loss: 0.35 },
        seconds: { scoring: 1.25, surgery: 0.25, fineTune: 9.5, evaluation: 0.5 },
      },
    ],
    stoppedBy: 'minMetric(accuracy, 0.93)',
    stopDetail: 'accuracy 0.9000 < 0.93 (at least 0.93 required; 0.95 originally)',
    rolledBackTo: { step: 1, reason: 'accuracy fell below 0.93 at step 2' },
    seconds: { total: 25, scoring: 2.75, surgery: 0.5, fineTune: 19.5, evaluation: 2.25 },
    groups: [
      { id: 'conv1', size: 16, prunable: true },
      { id: 'dense1', size: 32, prunable: true },
      { id: 'out', size: 10, prunable: false },
    ],
  };
}

/** Asserts `fn` throws a PruneError `INVALID_OPTION` whose message holds every fragment. */
export function expectInvalidOption(fn: () => unknown, ...fragments: string[]): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(PruneError);
  expect((thrown as PruneError).code).toBe('INVALID_OPTION');
  for (const f of fragments) expect((thrown as PruneError).message).toContain(f);
}
