import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vl from 'vega-lite';
import { renderVegaLiteToSvg, writeReportFiles } from '../../examples/shared/render-svg';
import { createReport } from '../../src/report/prune-report';
import type { PruneReportJSON } from '../../src/report/report-json';
import { VEGA_LITE_SCHEMA, type VegaLiteSpec } from '../../src/report/report-vega-lite';
import { expectInvalidOption, sampleReportJSON } from './sample-report';

/** Compiles with vega-lite and returns every warning and error it logged. */
function compileMessages(spec: VegaLiteSpec): string[] {
  const messages: string[] = [];
  let level = 2;
  const logger = {
    level(value?: number) {
      if (value === undefined) return level;
      level = value;
      return logger;
    },
    error: (...args: unknown[]) => (messages.push(`error: ${args.join(' ')}`), logger),
    warn: (...args: unknown[]) => (messages.push(`warn: ${args.join(' ')}`), logger),
    info: () => logger,
    debug: () => logger,
  };
  const compiled = vl.compile(spec as unknown as vl.TopLevelSpec, { logger: logger as never });
  expect(compiled.spec.marks?.length).toBeGreaterThan(0);
  return messages;
}

function dataValues(spec: VegaLiteSpec): Array<Record<string, unknown>> {
  return (spec.data as { values: Array<Record<string, unknown>> }).values;
}

describe('report.toVegaLite', () => {
  it('plots accuracy against FLOPs kept: baseline, one point per step, final', () => {
    const spec = createReport(sampleReportJSON()).toVegaLite();
    expect(spec.$schema).toBe(VEGA_LITE_SCHEMA);
    expect(spec.$schema).toBe('https://vega.github.io/schema/vega-lite/v5.json');
    expect(spec.title).toEqual({
      text: 'accuracy vs FLOPs kept (criterion taylor, objective flops)',
      subtitle: '2 pruning steps, stopped by minMetric(accuracy, 0.93)',
    });
    expect(dataValues(spec)).toEqual([
      { point: 'baseline', step: 0, params: 10000, flops: 2000000, paramsKept: 100, flopsKept: 100, value: 0.95 },
      { point: 'step', step: 1, params: 7000, flops: 1400000, paramsKept: 70, flopsKept: 70, value: 0.94 },
      { point: 'step', step: 2, params: 4500, flops: 900000, paramsKept: 45, flopsKept: 45, value: 0.9 },
      { point: 'final', step: 1, params: 7000, flops: 1400000, paramsKept: 70, flopsKept: 70, value: 0.94 },
    ]);
    const [line, points] = spec.layer as Array<{ mark: { type: string }; encoding: Record<string, { field: string; scale?: unknown }> }>;
    expect(line.mark.type).toBe('line');
    expect(line.encoding.x).toMatchObject({ field: 'flopsKept', scale: { reverse: true } });
    expect(line.encoding.order).toMatchObject({ field: 'step' });
    expect(points.mark.type).toBe('point');
    expect(points.encoding.shape).toMatchObject({ field: 'point' });
    expect((points.encoding.tooltip as unknown as Array<{ field: string }>).map((t) => t.field)).toEqual([
      'point',
      'step',
      'params',
      'paramsKept',
      'flops',
      'flopsKept',
      'value',
    ]);
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
  });

  it('compiles with vega-lite without warnings or errors', () => {
    const report = createReport(sampleReportJSON());
    expect(compileMessages(report.toVegaLite())).toEqual([]);
    expect(compileMessages(report.toVegaLite({ metric: 'loss', x: 'params', width: 300, height: 200 }))).toEqual([]);
  });

  it('plots another metric against parameters kept', () => {
    const spec = createReport(sampleReportJSON()).toVegaLite({ metric: 'loss', x: 'params' });
    expect((spec.title as { text: string }).text).toBe('loss vs parameters kept (criterion taylor, objective flops)');
    expect(dataValues(spec).map((v) => v.value)).toEqual([0.2, 0.22, 0.35, 0.22]);
    const [line] = spec.layer as Array<{ encoding: Record<string, { field: string; title: string }> }>;
    expect(line.encoding.x.field).toBe('paramsKept');
    expect(line.encoding.y.title).toBe('loss (lower is better)');
  });

  it("defaults to 'loss' without accuracy, and writes NaN as null", () => {
    const json: PruneReportJSON = sampleReportJSON();
    json.metricDirections = { loss: 'lower' };
    for (const m of [json.baseline.metrics, json.final.metrics, ...json.steps.map((s) => s.metricsAfterFineTune)]) delete m.accuracy;
    json.steps[1].metricsAfterFineTune.loss = Number.NaN;
    const spec = createReport(json).toVegaLite();
    expect(dataValues(spec).map((v) => v.value)).toEqual([0.2, 0.22, null, 0.22]);
    expect(compileMessages(spec)).toEqual([]);
  });

  it('refuses unknown metrics, a bad x and a report without metrics', () => {
    const report = createReport(sampleReportJSON());
    expectInvalidOption(() => report.toVegaLite({ metric: 'top5' }), '"top5" is not a metric of this report', "'accuracy', 'loss'");
    expectInvalidOption(() => report.toVegaLite({ x: 'latency' as 'flops' }), "x must be 'flops' or 'params'");
    expectInvalidOption(() => report.toVegaLite({ width: 0 }), 'width must be a positive number');
    const bare: PruneReportJSON = { ...sampleReportJSON(), metricDirections: {}, steps: [], rolledBackTo: undefined };
    bare.baseline.metrics = {};
    bare.final.metrics = {};
    expectInvalidOption(() => createReport(bare).toVegaLite(), '"loss" is not a metric of this report', 'none (the run had no validation data)');
  });
});

describe('rendering (examples/shared/render-svg)', () => {
  it('renders the plot to an SVG string holding the title', async () => {
    const warnings: string[] = [];
    const svg = await renderVegaLiteToSvg(createReport(sampleReportJSON()).toVegaLite(), { warn: (m) => warnings.push(m) });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('accuracy vs FLOPs kept (criterion taylor, objective flops)');
    expect(svg).toContain('FLOPs kept (% of original)');
    expect(svg).toContain('</svg>');
    expect(warnings).toEqual([]);
  });

  it('writes report.json, report.md and report.svg', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-prune-report-'));
    try {
      const report = createReport(sampleReportJSON());
      const files = await writeReportFiles(report, path.join(dir, 'nested'), { markdown: { metrics: ['accuracy'] } });
      expect(files).toEqual({
        json: path.join(dir, 'nested', 'report.json'),
        markdown: path.join(dir, 'nested', 'report.md'),
        svg: path.join(dir, 'nested', 'report.svg'),
      });
      expect(JSON.parse(fs.readFileSync(files.json, 'utf8'))).toEqual(report.toJSON());
      expect(fs.readFileSync(files.markdown, 'utf8')).toBe(report.toMarkdown({ metrics: ['accuracy'] }));
      expect(fs.readFileSync(files.svg, 'utf8')).toContain('<svg');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
