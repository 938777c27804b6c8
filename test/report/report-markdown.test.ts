import {
  formatCount,
  formatFixed,
  formatMetric,
  formatMetricChange,
  formatPercentOf,
  formatSeconds,
} from '../../src/report/format-number';
import { createReport } from '../../src/report/prune-report';
import type { PruneReportJSON } from '../../src/report/report-json';
import { expectInvalidOption, sampleReportJSON } from './sample-report';

const SAMPLE_MARKDOWN = [
  '# Pruning report',
  '',
  'Criterion `taylor`, objective `flops`, 2 pruning steps; the result is the model of step 1.',
  '',
  '|  | baseline | final | change |',
  '| --- | ---: | ---: | ---: |',
  '| parameters | 10,000 | 7,000 | 70.00% of original |',
  '| FLOPs (MACs per example) | 2,000,000 | 1,400,000 | 70.00% of original |',
  '| accuracy (higher is better) | 0.9500 | 0.9400 | -0.0100 |',
  '| loss (lower is better) | 0.2000 | 0.2200 | +0.0200 |',
  '',
  'Stopped by `minMetric(accuracy, 0.93)`: accuracy 0.9000 < 0.93 (at least 0.93 required; 0.95 originally).',
  '',
  'Rolled back to step 1: accuracy fell below 0.93 at step 2.',
  '',
  'Time: 25.00 s in all (scoring 2.75 s, surgery 0.50 s, fine-tuning 19.50 s, evaluation 2.25 s); scoring and surgery take 13.00% of the total.',
  '',
  '## Steps',
  '',
  '| step | channels removed | parameters | FLOPs (% of original) | accuracy | loss | scoring (s) | surgery (s) | fine-tune (s) |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  '| 1 | 12 | 7,000 | 70.00% | 0.8000 → 0.9400 | 0.6000 → 0.2200 | 1.50 | 0.25 | 10.00 |',
  '| 2 (rolled back) | 12 | 4,500 | 45.00% | 0.6000 → 0.9000 | 1.1000 → 0.3500 | 1.25 | 0.25 | 9.50 |',
  '',
  'Metrics: right after surgery → after fine-tuning.',
  '',
  '## Channels per group',
  '',
  '| group | channels | kept |',
  '| --- | ---: | ---: |',
  '| conv1 | 16 → 12 | 75.00% |',
  '| dense1 | 32 → 24 | 75.00% |',
  '',
  'Not prunable: 1 group (out).',
  '',
].join('\n');

function lines(json: PruneReportJSON, options?: Parameters<ReturnType<typeof createReport>['toMarkdown']>[0]): string[] {
  return createReport(json).toMarkdown(options).split('\n');
}

describe('report.toMarkdown', () => {
  it('writes the whole document of a 2-step report with a rollback and no latency', () => {
    const md = createReport(sampleReportJSON()).toMarkdown();
    expect(md).toBe(SAMPLE_MARKDOWN);
    expect(md).not.toContain('latency');
  });

  it('shows only the chosen metrics, in the given order', () => {
    const out = lines(sampleReportJSON(), { metrics: ['loss'] });
    expect(out).toContain('| loss (lower is better) | 0.2000 | 0.2200 | +0.0200 |');
    expect(out.join('\n')).not.toContain('accuracy (higher');
    expect(out).toContain('| 1 | 12 | 7,000 | 70.00% | 0.6000 → 0.2200 | 1.50 | 0.25 | 10.00 |');
    const both = lines(sampleReportJSON(), { metrics: ['loss', 'accuracy'] });
    expect(both).toContain('| step | channels removed | parameters | FLOPs (% of original) | loss | accuracy | scoring (s) | surgery (s) | fine-tune (s) |');
    const none = lines(sampleReportJSON(), { metrics: [] });
    expect(none).toContain('| step | channels removed | parameters | FLOPs (% of original) | scoring (s) | surgery (s) | fine-tune (s) |');
    expect(none).not.toContain('Metrics: right after surgery → after fine-tuning.');
  });

  it('keeps the first and last rows of long tables with maxRows', () => {
    const json = sampleReportJSON();
    const base = json.steps[1];
    json.steps = Array.from({ length: 7 }, (_, i) => ({ ...base, step: i + 1 }));
    delete json.rolledBackTo;
    const out = lines(json, { maxRows: 3, metrics: [] });
    const start = out.indexOf('## Steps') + 4;
    expect(out.slice(start, start + 4).map((l) => l.split(' | ')[0])).toEqual(['| 1', '| 2', '| … 4 more', '| 7']);
    expect(out[start + 2]).toBe('| … 4 more |  |  |  |  |  |  |');
    expect(out).toContain('| conv1 | 16 → 8 | 50.00% |');
    expect(out).toContain('| dense1 | 32 → 16 | 50.00% |');
    expect(lines(json, { maxRows: 7 }).filter((l) => l.includes('more'))).toEqual([]);
    const one = lines(json, { maxRows: 1, metrics: [] });
    expect(one).toContain('| … 6 more |  |  |  |  |  |  |');
    expect(one).toContain('| conv1 | 16 → 8 | 50.00% |');
    expect(one).toContain('| … 1 more |  |  |');
    expect(one).not.toContain('| dense1 | 32 → 16 | 50.00% |');
  });

  it('adds latency to the summary and the steps table when measured', () => {
    const json = sampleReportJSON();
    json.baseline.latencyMs = 2.5;
    json.final.latencyMs = 1.25;
    json.steps[0].latencyMs = 1.25;
    json.steps[1].latencyMs = 1;
    const out = lines(json);
    expect(out).toContain('| latency (ms) | 2.50 | 1.25 | 50.00% of original |');
    expect(out).toContain('| step | channels removed | parameters | FLOPs (% of original) | latency (ms) | accuracy | loss | scoring (s) | surgery (s) | fine-tune (s) |');
    expect(out).toContain('| 1 | 12 | 7,000 | 70.00% | 1.25 | 0.8000 → 0.9400 | 0.6000 → 0.2200 | 1.50 | 0.25 | 10.00 |');
  });

  it('shows the original widths after a rollback to step 0, and the last step without a rollback', () => {
    const json = sampleReportJSON();
    json.rolledBackTo = { step: 0, reason: 'every pruned model broke the bound' };
    json.final = json.baseline;
    const out = lines(json);
    expect(out).toContain('Rolled back to the original model (step 0): every pruned model broke the bound.');
    expect(out).toContain('Criterion `taylor`, objective `flops`, 2 pruning steps; the result is the original model.');
    expect(out).toContain('| 1 (rolled back) | 12 | 7,000 | 70.00% | 0.8000 → 0.9400 | 0.6000 → 0.2200 | 1.50 | 0.25 | 10.00 |');
    expect(out).toContain('| conv1 | 16 → 16 | 100.00% |');

    const plain = sampleReportJSON();
    delete plain.rolledBackTo;
    const plainOut = lines(plain);
    expect(plainOut.join('\n')).not.toContain('Rolled back');
    expect(plainOut).toContain('| 2 | 12 | 4,500 | 45.00% | 0.6000 → 0.9000 | 1.1000 → 0.3500 | 1.25 | 0.25 | 9.50 |');
    expect(plainOut).toContain('| dense1 | 32 → 16 | 50.00% |');
  });

  it('handles a run without steps, metrics or stop detail, and the final fine-tune line', () => {
    const json: PruneReportJSON = {
      ...sampleReportJSON(),
      metricDirections: {},
      baseline: { params: 1234567, flops: 0, metrics: {} },
      final: { params: 1234567, flops: 0, metrics: {} },
      steps: [],
      stoppedBy: 'nothingToPrune',
      stopDetail: undefined,
      rolledBackTo: undefined,
      groups: [{ id: 'a|b', size: 3, prunable: true }],
    };
    const out = lines(json);
    expect(out).toContain('Criterion `taylor`, objective `flops`, 0 pruning steps; the result is the original model.');
    expect(out).toContain('| parameters | 1,234,567 | 1,234,567 | 100.00% of original |');
    expect(out).toContain('| FLOPs (MACs per example) | 0 | 0 | n/a |');
    expect(out).toContain('Stopped by `nothingToPrune`.');
    expect(out).toContain('No pruning step ran.');
    expect(out).toContain('| a\\|b | 3 → 3 | 100.00% |');

    const tuned = sampleReportJSON();
    tuned.finalBeforeFineTune = { accuracy: 0.91, loss: Number.NaN };
    expect(lines(tuned)).toContain('Before the final fine-tune: accuracy 0.9100, loss n/a.');
  });

  it('uses deeper headings with headingLevel', () => {
    const out = lines(sampleReportJSON(), { headingLevel: 3 });
    expect(out[0]).toBe('### Pruning report');
    expect(out).toContain('#### Steps');
    expect(out).toContain('#### Channels per group');
  });

  it('refuses bad options', () => {
    const report = createReport(sampleReportJSON());
    expectInvalidOption(() => report.toMarkdown({ metrics: ['top5'] }), '"top5" is not a metric of this report', "'accuracy', 'loss'");
    expectInvalidOption(() => report.toMarkdown({ metrics: 'loss' as unknown as string[] }), 'metrics must be an array');
    expectInvalidOption(() => report.toMarkdown({ maxRows: 0 }), 'maxRows must be a positive integer', 'got 0');
    expectInvalidOption(() => report.toMarkdown({ maxRows: 2.5 }), 'maxRows must be a positive integer');
    expectInvalidOption(() => report.toMarkdown({ headingLevel: 6 }), 'headingLevel must be an integer from 1 to 5');
    expectInvalidOption(() => report.toMarkdown('short' as never), 'options must be an object');
  });
});

describe('number formatting', () => {
  it('formats counts, percentages, metrics and seconds for humans', () => {
    expect(formatCount(56714)).toBe('56,714');
    expect(formatCount(1234567.6)).toBe('1,234,568');
    expect(formatCount(999)).toBe('999');
    expect(formatFixed(-1234.5, 2)).toBe('-1,234.50');
    expect(formatFixed(-0.001, 2)).toBe('0.00');
    expect(formatPercentOf(201184, 706752)).toBe('28.47%');
    expect(formatPercentOf(1, 0)).toBe('n/a');
    expect(formatMetric(0.965)).toBe('0.9650');
    expect(formatMetric(1234.56789)).toBe('1,234.5679');
    expect(formatMetric(0.00012345)).toBe('0.0001234');
    expect(formatMetric(0)).toBe('0.0000');
    expect(formatMetric(Number.NaN)).toBe('n/a');
    expect(formatMetric(undefined)).toBe('n/a');
    expect(formatMetricChange(0.02)).toBe('+0.0200');
    expect(formatMetricChange(-0.0065)).toBe('-0.0065');
    expect(formatMetricChange(0)).toBe('0.0000');
    expect(formatMetricChange(0.00002)).toBe('+0.00002000');
    expect(formatSeconds(12.345)).toBe('12.35');
    expect(formatSeconds(Number.POSITIVE_INFINITY)).toBe('n/a');
  });
});
