import { createReport, reportFromJSON } from '../../src/report/prune-report';
import type { PruneReportJSON } from '../../src/report/report-json';
import { expectInvalidOption, sampleReportJSON } from './sample-report';

describe('createReport / toJSON', () => {
  it('gives back the same JSON, and JSON.stringify(report) gives the same text', () => {
    const json = sampleReportJSON();
    const report = createReport(json);
    expect(report.toJSON()).toEqual(json);
    expect(JSON.stringify(report)).toBe(JSON.stringify(json));
    expect(JSON.stringify(report, null, 2)).toBe(JSON.stringify(json, null, 2));
  });

  it('is not changed by later mutation of its input', () => {
    const json = sampleReportJSON();
    const report = createReport(json);
    json.steps[0].metricsAfterFineTune.accuracy = 0;
    json.steps.pop();
    json.groups[0].size = 1;
    json.baseline.params = 1;
    json.seconds.total = 0;
    json.rolledBackTo!.reason = 'changed';
    expect(report.toJSON()).toEqual(sampleReportJSON());
    expect(report.toMarkdown()).toBe(createReport(sampleReportJSON()).toMarkdown());
  });

  it('returns a new deep copy on every toJSON call', () => {
    const report = createReport(sampleReportJSON());
    const a = report.toJSON();
    const b = report.toJSON();
    expect(a).not.toBe(b);
    expect(a.steps).not.toBe(b.steps);
    expect(a.steps[0].channels).not.toBe(b.steps[0].channels);
    a.steps[0].channels.conv1 = 1;
    a.final.metrics.accuracy = 0;
    a.groups.push({ id: 'x', size: 1, prunable: true });
    expect(report.toJSON()).toEqual(sampleReportJSON());
  });

  it('keeps fields it does not know, and leaves out keys set to undefined', () => {
    const json = { ...sampleReportJSON(), notes: { seed: 7, tags: ['a'] }, stopDetail: undefined } as PruneReportJSON;
    const out = createReport(json).toJSON() as PruneReportJSON & { notes: unknown };
    expect(out.notes).toEqual({ seed: 7, tags: ['a'] });
    expect('stopDetail' in out).toBe(false);
    expect(out).toEqual(JSON.parse(JSON.stringify(json)));
  });

  it('refuses JSON that does not fit, naming the field', () => {
    const bad = (edit: (j: Record<string, any>) => void): PruneReportJSON => {
      const j = sampleReportJSON() as unknown as Record<string, any>;
      edit(j);
      return j as unknown as PruneReportJSON;
    };
    expectInvalidOption(() => createReport(null as unknown as PruneReportJSON), 'report must be an object', 'got null');
    expectInvalidOption(() => createReport(bad((j) => (j.version = 2))), 'version must be 1', 'got 2');
    expectInvalidOption(() => createReport(bad((j) => (j.objective = 'speed'))), "report.objective must be 'flops', 'params', 'latency' or 'size'", '"speed"');
    expectInvalidOption(() => createReport(bad((j) => (j.metricDirections.loss = 'down'))), 'report.metricDirections.loss');
    expectInvalidOption(() => createReport(bad((j) => (j.baseline.flops = -1))), 'report.baseline.flops must be a finite number >= 0');
    expectInvalidOption(() => createReport(bad((j) => (j.steps = {}))), 'report.steps must be an array');
    expectInvalidOption(() => createReport(bad((j) => (j.steps[1].metricsAfterFineTune.loss = '0.3'))), 'report.steps[1].metricsAfterFineTune.loss must be a number');
    expectInvalidOption(() => createReport(bad((j) => delete j.steps[0].seconds.fineTune)), 'report.steps[0].seconds.fineTune', 'got undefined');
    expectInvalidOption(() => createReport(bad((j) => (j.groups[2].prunable = 'no'))), 'report.groups[2].prunable must be a boolean');
    expectInvalidOption(() => createReport(bad((j) => (j.rolledBackTo = { step: 1 }))), 'report.rolledBackTo.reason must be a string');
    expectInvalidOption(() => createReport(bad((j) => (j.final.when = new Date(0)))), 'report.final.when must be plain JSON data');
    expectInvalidOption(() => createReport(bad((j) => delete j.stoppedBy)), 'report.stoppedBy must be a string', 'report.toJSON()');
  });
});

describe('reportFromJSON', () => {
  it('reads the text of JSON.stringify(report) and the object of toJSON()', () => {
    const report = createReport(sampleReportJSON());
    expect(reportFromJSON(JSON.stringify(report)).toJSON()).toEqual(sampleReportJSON());
    expect(reportFromJSON(JSON.stringify(report, null, 2)).toMarkdown()).toBe(report.toMarkdown());
    expect(reportFromJSON(report.toJSON()).toJSON()).toEqual(sampleReportJSON());
  });

  it('reads metrics written as null (NaN) back as NaN', () => {
    const json = sampleReportJSON();
    json.steps[1].metricsAfterFineTune.loss = Number.NaN;
    const text = JSON.stringify(createReport(json));
    expect(text).toContain('"loss":null');
    const again = reportFromJSON(text).toJSON();
    expect(again.steps[1].metricsAfterFineTune.loss).toBeNaN();
    expect(again).toEqual(json);
  });

  it.each([
    ['version 2', { ...sampleReportJSON(), version: 2 }, 'version 2'],
    ['version "1"', { ...sampleReportJSON(), version: '1' }, 'version "1"'],
    ['no version', { ...sampleReportJSON(), version: undefined }, 'version undefined'],
    ['an array', [], 'version undefined'],
    ['a number', 1, 'version undefined'],
  ])('refuses %s', (_name, value, fragment) => {
    expectInvalidOption(() => reportFromJSON(value as unknown as PruneReportJSON), 'unsupported report format', fragment, 'reads version 1');
    expectInvalidOption(() => reportFromJSON(JSON.stringify(value)), 'unsupported report format', fragment);
  });

  it('refuses text that is not JSON', () => {
    expectInvalidOption(() => reportFromJSON('{"version": 1,'), 'reportFromJSON: the text is not valid JSON');
  });
});
