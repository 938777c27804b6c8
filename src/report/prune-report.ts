import { PruneError } from '../errors';
import { cloneReportJSON, copyReportJSON } from './copy-report-json';
import type { PruneReportJSON } from './report-json';
import { reportToMarkdown, type ReportMarkdownOptions } from './report-markdown';
import { reportToVegaLite, type ReportVegaLiteOptions, type VegaLiteSpec } from './report-vega-lite';

/**
 * The report of a pruning run: what `pruneIteratively` returns next to the pruned model. It
 * holds a private copy of the run's {@link PruneReportJSON} and gives three views of it. Nothing
 * it returns is shared with it: every call returns a new object or string.
 *
 * @example
 * ```ts
 * import * as fs from 'node:fs';
 *
 * const { model: pruned, report } = await pruneIteratively(model, { train: { x: xTrain, y: yTrain }, validation: { x: xVal, y: yVal } }, {
 *   compile: { optimizer: () => tf.train.adam(1e-4), loss: 'categoricalCrossentropy', metrics: ['accuracy'] },
 *   stop: targetFlops(0.5),
 * });
 * console.log(report.toMarkdown());
 * fs.writeFileSync('report.json', JSON.stringify(report, null, 2)); // same as report.toJSON()
 * const spec = report.toVegaLite({ metric: 'accuracy', x: 'flops' });
 * ```
 */
export interface PruneReport {
  /**
   * The whole report as plain JSON, a deep copy (changing it does not change the report).
   * `JSON.stringify(report)` gives the same text as `JSON.stringify(report.toJSON())`.
   */
  toJSON(): PruneReportJSON;
  /**
   * A compact markdown document: a summary table (baseline vs final: parameters, FLOPs with
   * their share of the original, latency when measured, each metric with its change), the stop
   * reason, the rollback if any, seconds per phase and the share of scoring and surgery; then one
   * row per step (channels removed, parameters, FLOPs % of original, each metric after surgery →
   * after fine-tuning, seconds of scoring, surgery and fine-tuning); then the channels of every
   * prunable group, original → in the returned model.
   *
   * @throws PruneError `INVALID_OPTION` for an unknown metric name or a bad `maxRows`/`headingLevel`.
   */
  toMarkdown(options?: ReportMarkdownOptions): string;
  /**
   * A Vega-Lite v5 spec plotting a metric (after each step's fine-tune) against the FLOPs (or
   * parameters) kept, as a percentage of the original, with the x axis reversed so the run reads
   * from left (100%) to right. The baseline, one point per step (joined in step order) and the
   * returned model are marked distinctly; tooltips give step, parameters, FLOPs and the metric.
   *
   * @throws PruneError `INVALID_OPTION` for an unknown metric, a bad `x`, or a report without
   * metrics when no `metric` is given.
   */
  toVegaLite(options?: ReportVegaLiteOptions): VegaLiteSpec;
}

/**
 * Makes a {@link PruneReport} from the JSON of a run. The JSON is checked lightly (version 1, the
 * type of every known field) and deep-copied, so changing `json` afterwards does not change the
 * report. The pruning loop calls it; call it yourself to rebuild a report from its JSON
 * (or use {@link reportFromJSON} for text read from a `report.json` file).
 *
 * @throws PruneError `INVALID_OPTION` naming the first field that does not fit.
 *
 * @example
 * ```ts
 * import { createReport, type PruneReport, type PruneReportJSON } from 'tfjs-prune';
 *
 * const json: PruneReportJSON = report.toJSON();
 * const copy: PruneReport = createReport(json);
 * json.steps.length = 0; // no effect on the copy
 * console.log(copy.toMarkdown({ metrics: ['accuracy'] }));
 * ```
 */
export function createReport(json: PruneReportJSON): PruneReport {
  const data = copyReportJSON(json);
  return {
    toJSON: () => cloneReportJSON(data),
    toMarkdown: (options?: ReportMarkdownOptions) => reportToMarkdown(data, options),
    toVegaLite: (options?: ReportVegaLiteOptions) => reportToVegaLite(data, options),
  };
}

/**
 * Rebuilds a {@link PruneReport} from `report.toJSON()` or from the text of a `report.json` file
 * (`JSON.stringify(report)`). Metric values written as `null` (JSON's spelling of NaN, e.g. the
 * loss of a diverged fine-tune) are read back as NaN.
 *
 * @throws PruneError `INVALID_OPTION` when the text is not JSON, when `version` is not 1 (a report
 * format this tfjs-prune does not know), or when a field does not fit (see {@link createReport}).
 *
 * @example
 * ```ts
 * import * as fs from 'node:fs';
 * import { reportFromJSON } from 'tfjs-prune';
 *
 * const report = reportFromJSON(fs.readFileSync('out/report.json', 'utf8'));
 * console.log(report.toMarkdown());
 * ```
 */
export function reportFromJSON(json: string | PruneReportJSON): PruneReport {
  let value: unknown = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (e) {
      throw new PruneError(
        'INVALID_OPTION',
        `reportFromJSON: the text is not valid JSON (${(e as Error).message}). Expected the contents of a report.json file written from JSON.stringify(report).`,
      );
    }
  }
  const version = typeof value === 'object' && value !== null ? (value as { version?: unknown }).version : undefined;
  if (version !== 1) {
    throw new PruneError(
      'INVALID_OPTION',
      `reportFromJSON: unsupported report format version ${JSON.stringify(version) ?? 'undefined'}; this tfjs-prune reads version 1. ` +
        'Expected the JSON of report.toJSON(); a report written by another tfjs-prune version must be read with that version.',
    );
  }
  return createReport(value as PruneReportJSON);
}
