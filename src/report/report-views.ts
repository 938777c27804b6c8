// Helpers shared by the markdown and Vega-Lite views of a report.
import { PruneError } from '../errors';
import type { PruneReportJSON } from './report-json';

/**
 * Names of the metrics a report holds, in a stable order: those of `metricDirections` first (in
 * their order), then any other name found in the baseline, final or step metrics.
 *
 * @example
 * ```ts
 * metricNames(json); // ['accuracy', 'loss']
 * ```
 */
export function metricNames(json: PruneReportJSON): string[] {
  const names = new Set(Object.keys(json.metricDirections));
  const add = (record: Record<string, number> | undefined): void => {
    for (const name of Object.keys(record ?? {})) names.add(name);
  };
  add(json.baseline.metrics);
  add(json.final.metrics);
  for (const s of json.steps) {
    add(s.metricsBeforeFineTune);
    add(s.metricsAfterFineTune);
  }
  return [...names];
}

/**
 * The step number of the returned model: the rollback target, else the last step (0 without steps).
 *
 * @example
 * ```ts
 * const returned = finalStepNumber(json) === 0 ? 'the original model' : `step ${finalStepNumber(json)}`;
 * ```
 */
export function finalStepNumber(json: PruneReportJSON): number {
  if (json.rolledBackTo !== undefined) return json.rolledBackTo.step;
  return json.steps.length === 0 ? 0 : json.steps[json.steps.length - 1].step;
}

/**
 * Channels of every group in the returned model: the `channels` of its step (the rollback target
 * or the last step), and the original sizes for groups that step does not list.
 *
 * @example
 * ```ts
 * finalChannels(json); // { conv1: 12, dense1: 24, out: 10 }
 * ```
 */
export function finalChannels(json: PruneReportJSON): Record<string, number> {
  const stepNumber = finalStepNumber(json);
  const record = json.steps.find((s) => s.step === stepNumber);
  const out: Record<string, number> = {};
  for (const g of json.groups) out[g.id] = record?.channels[g.id] ?? g.size;
  return out;
}

/**
 * Throws `INVALID_OPTION` unless `options` is undefined or an object.
 *
 * @example
 * ```ts
 * checkOptionsObject(options, 'report.toMarkdown');
 * ```
 */
export function checkOptionsObject(options: unknown, where: string): void {
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw new PruneError('INVALID_OPTION', `${where}: options must be an object or left out; got ${options === null ? 'null' : typeof options}.`);
  }
}

/**
 * Throws `INVALID_OPTION` unless `name` is one of the report's metrics.
 *
 * @example
 * ```ts
 * checkMetricName(options.metric, metricNames(json), 'report.toVegaLite metric');
 * ```
 */
export function checkMetricName(name: unknown, available: readonly string[], where: string): asserts name is string {
  if (typeof name !== 'string' || !available.includes(name)) {
    const list = available.length === 0 ? 'none (the run had no validation data)' : available.map((n) => `'${n}'`).join(', ');
    throw new PruneError(
      'INVALID_OPTION',
      `${where}: ${JSON.stringify(name)} is not a metric of this report. Expected one of the report's metrics: ${list}.`,
    );
  }
}
