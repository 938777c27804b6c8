import { PruneError } from '../errors';
import type { PruneReportJSON } from './report-json';
import { checkMetricName, checkOptionsObject, finalStepNumber, metricNames } from './report-views';

/**
 * The `$schema` of every spec `report.toVegaLite()` returns (Vega-Lite v5).
 *
 * @example
 * ```ts
 * const spec = report.toVegaLite();
 * console.log(spec.$schema === VEGA_LITE_SCHEMA); // true
 * ```
 */
export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

/**
 * A Vega-Lite v5 specification as plain JSON: give it to `vega-embed` in a browser, or compile
 * and render it with the `vega-lite` and `vega` packages. Cast it to vega-lite's `TopLevelSpec`
 * (or vega-embed's `VisualizationSpec`) where those types are wanted.
 *
 * @example
 * ```ts
 * const spec: VegaLiteSpec = report.toVegaLite();
 * console.log(spec.$schema); // https://vega.github.io/schema/vega-lite/v5.json
 * ```
 */
export interface VegaLiteSpec {
  $schema: string;
  [key: string]: unknown;
}

/**
 * Options of `report.toVegaLite()`.
 *
 * @example
 * ```ts
 * const spec = report.toVegaLite({ metric: 'loss', x: 'params', width: 640, height: 360 });
 * ```
 */
export interface ReportVegaLiteOptions {
  /**
   * The metric on the y axis; it must be a metric of the report. Default: `'accuracy'` when the
   * report's `metricDirections` has it, else `'loss'`.
   */
  metric?: string;
  /**
   * What the x axis shows, as a percentage of the original model: `'flops'` (FLOPs kept) or
   * `'params'` (parameters kept). Default: `'flops'`.
   */
  x?: 'flops' | 'params';
  /** Width of the plot area in pixels. Default: 480. */
  width?: number;
  /** Height of the plot area in pixels. Default: 300. */
  height?: number;
}

/** One point of the plot (a row of the spec's `data.values`). */
interface PlotPoint {
  /** `'baseline'`, `'step'` or `'final'`. */
  point: string;
  /** 0 for the baseline; the final point carries the step of the returned model. */
  step: number;
  params: number;
  flops: number;
  paramsKept: number | null;
  flopsKept: number | null;
  value: number | null;
}

const WHERE = 'report.toVegaLite';

function percent(part: number, whole: number): number | null {
  const p = (100 * part) / whole;
  return Number.isFinite(p) ? p : null;
}

function finiteOrNull(value: number | undefined): number | null {
  return value !== undefined && Number.isFinite(value) ? value : null;
}

function positiveSize(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new PruneError('INVALID_OPTION', `${WHERE}: ${name} must be a positive number of pixels; got ${String(value)}.`);
  }
  return value;
}

/**
 * The Vega-Lite spec of `report.toVegaLite()`: a metric against FLOPs (or parameters) kept.
 *
 * @example
 * ```ts
 * toVegaLite: (options) => reportToVegaLite(data, options),
 * ```
 */
export function reportToVegaLite(json: PruneReportJSON, options?: ReportVegaLiteOptions): VegaLiteSpec {
  checkOptionsObject(options, WHERE);
  const available = metricNames(json);
  const metric = options?.metric ?? ('accuracy' in json.metricDirections ? 'accuracy' : 'loss');
  checkMetricName(metric, available, `${WHERE} metric`);
  const axis = options?.x ?? 'flops';
  if (axis !== 'flops' && axis !== 'params') {
    throw new PruneError('INVALID_OPTION', `${WHERE}: x must be 'flops' or 'params'; got ${JSON.stringify(axis)}.`);
  }
  const width = positiveSize(options?.width, 'width', 480);
  const height = positiveSize(options?.height, 'height', 300);

  const { baseline, final } = json;
  const point = (kind: string, step: number, params: number, flops: number, value: number | undefined): PlotPoint => ({
    point: kind,
    step,
    params,
    flops,
    paramsKept: percent(params, baseline.params),
    flopsKept: percent(flops, baseline.flops),
    value: finiteOrNull(value),
  });
  const values: PlotPoint[] = [
    point('baseline', 0, baseline.params, baseline.flops, baseline.metrics[metric]),
    ...json.steps.map((s) => point('step', s.step, s.params, s.flops, s.metricsAfterFineTune[metric])),
    point('final', finalStepNumber(json), final.params, final.flops, final.metrics[metric]),
  ];

  const xField = axis === 'flops' ? 'flopsKept' : 'paramsKept';
  const xTitle = axis === 'flops' ? 'FLOPs kept (% of original)' : 'parameters kept (% of original)';
  const direction = json.metricDirections[metric];
  const yTitle = direction === undefined ? metric : `${metric} (${direction} is better)`;
  const x = { field: xField, type: 'quantitative', title: xTitle, scale: { reverse: true, zero: false } };
  const y = { field: 'value', type: 'quantitative', title: yTitle, scale: { zero: false } };
  const tooltip = [
    { field: 'point', type: 'nominal', title: 'point' },
    { field: 'step', type: 'quantitative', title: 'step' },
    { field: 'params', type: 'quantitative', title: 'parameters', format: ',' },
    { field: 'paramsKept', type: 'quantitative', title: 'parameters kept (%)', format: '.2f' },
    { field: 'flops', type: 'quantitative', title: 'FLOPs (MACs)', format: ',' },
    { field: 'flopsKept', type: 'quantitative', title: 'FLOPs kept (%)', format: '.2f' },
    { field: 'value', type: 'quantitative', title: metric, format: '.4f' },
  ];
  const kinds = { domain: ['baseline', 'step', 'final'] };

  return {
    $schema: VEGA_LITE_SCHEMA,
    title: {
      text: `${metric} vs ${axis === 'flops' ? 'FLOPs' : 'parameters'} kept (criterion ${json.criterion}, objective ${json.objective})`,
      subtitle: `${json.steps.length} pruning ${json.steps.length === 1 ? 'step' : 'steps'}, stopped by ${json.stoppedBy}`,
    },
    width,
    height,
    data: { values },
    layer: [
      {
        transform: [{ filter: "datum.point !== 'final'" }],
        mark: { type: 'line', color: '#4c78a8' },
        encoding: { x, y, order: { field: 'step', type: 'quantitative' } },
      },
      {
        mark: { type: 'point', filled: true, size: 90 },
        encoding: {
          x,
          y,
          color: { field: 'point', type: 'nominal', title: 'point', scale: { ...kinds, range: ['#54a24b', '#4c78a8', '#e45756'] } },
          shape: { field: 'point', type: 'nominal', title: 'point', scale: { ...kinds, range: ['square', 'circle', 'diamond'] } },
          tooltip,
        },
      },
    ],
  };
}
