import { PruneError } from '../errors';
import type { PruneReportJSON } from './report-json';

const HOW_TO_FIX = 'Pass the object returned by report.toJSON() (or JSON.parse of a report.json file) unchanged.';

function fail(path: string, expected: string, got: unknown): never {
  throw new PruneError('INVALID_OPTION', `Pruning report: ${path} must be ${expected}; got ${describe(got)}. ${HOW_TO_FIX}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  return String(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Deep copy of JSON data: plain objects, arrays, strings, numbers, booleans and null. Keys whose
 * value is `undefined` are left out (as `JSON.stringify` does); anything else is refused.
 */
function copyJson(value: unknown, path: string): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map((item, i) => copyJson(item, `${path}[${i}]`));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) out[key] = copyJson(item, `${path}.${key}`);
    }
    return out;
  }
  return fail(path, 'plain JSON data (objects, arrays, strings, numbers, booleans)', value);
}

function object(value: unknown, path: string): Record<string, unknown> {
  return isPlainObject(value) ? value : fail(path, 'an object', value);
}

function count(value: unknown, path: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail(path, 'a finite number >= 0', value);
}

function text(value: unknown, path: string): void {
  if (typeof value !== 'string') fail(path, 'a string', value);
}

/**
 * Checks a `{ name: value }` record of metrics. `null` values (what `JSON.stringify` writes for
 * NaN, e.g. the loss of a diverged fine-tune) become NaN again, in place (on the copy).
 */
function metricRecord(value: unknown, path: string): void {
  const record = object(value, path);
  for (const [name, v] of Object.entries(record)) {
    if (v === null) record[name] = Number.NaN;
    else if (typeof v !== 'number') fail(`${path}.${name}`, 'a number', v);
  }
}

function measurement(value: unknown, path: string): void {
  const m = object(value, path);
  count(m.params, `${path}.params`);
  count(m.flops, `${path}.flops`);
  if (m.latencyMs !== undefined) count(m.latencyMs, `${path}.latencyMs`);
  if (m.bytes !== undefined) count(m.bytes, `${path}.bytes`);
  if (m.bytesQuantized !== undefined) count(m.bytesQuantized, `${path}.bytesQuantized`);
  metricRecord(m.metrics, `${path}.metrics`);
}

function secondsRecord(value: unknown, path: string, keys: readonly string[]): void {
  const s = object(value, path);
  for (const key of keys) count(s[key], `${path}.${key}`);
  if (s.compensation !== undefined) count(s.compensation, `${path}.compensation`);
}

function countRecord(value: unknown, path: string): void {
  const record = object(value, path);
  for (const [key, v] of Object.entries(record)) count(v, `${path}.${key}`);
}

function step(value: unknown, path: string): void {
  const s = object(value, path);
  count(s.step, `${path}.step`);
  countRecord(s.removedPerGroup, `${path}.removedPerGroup`);
  countRecord(s.removedPerLayer, `${path}.removedPerLayer`);
  countRecord(s.channels, `${path}.channels`);
  count(s.params, `${path}.params`);
  count(s.flops, `${path}.flops`);
  if (s.latencyMs !== undefined) count(s.latencyMs, `${path}.latencyMs`);
  if (s.bytes !== undefined) count(s.bytes, `${path}.bytes`);
  if (s.bytesQuantized !== undefined) count(s.bytesQuantized, `${path}.bytesQuantized`);
  metricRecord(s.metricsBeforeFineTune, `${path}.metricsBeforeFineTune`);
  metricRecord(s.metricsAfterFineTune, `${path}.metricsAfterFineTune`);
  secondsRecord(s.seconds, `${path}.seconds`, ['scoring', 'surgery', 'fineTune', 'evaluation']);
  if (s.compensation !== undefined) {
    const c = object(s.compensation, `${path}.compensation`);
    count(c.examples, `${path}.compensation.examples`);
    count(c.seconds, `${path}.compensation.seconds`);
    for (const key of ['layers', 'batchNorm', 'skipped']) {
      if (!Array.isArray(c[key])) fail(`${path}.compensation.${key}`, 'an array', c[key]);
    }
  }
}

function group(value: unknown, path: string): void {
  const g = object(value, path);
  text(g.id, `${path}.id`);
  count(g.size, `${path}.size`);
  if (typeof g.prunable !== 'boolean') fail(`${path}.prunable`, 'a boolean', g.prunable);
}

/**
 * A deep copy of a report's JSON, checked field by field (types of the known fields; unknown
 * extra fields are kept as they are). Throws `PruneError` `INVALID_OPTION` naming the first field
 * that does not fit.
 *
 * @example
 * ```ts
 * const data = copyReportJSON(JSON.parse(text)); // throws INVALID_OPTION on e.g. steps[0].params: '3'
 * ```
 */
export function copyReportJSON(value: unknown): PruneReportJSON {
  const copy = object(copyJson(value, 'report'), 'report');
  if (copy.version !== 1) {
    throw new PruneError(
      'INVALID_OPTION',
      `Pruning report: version must be 1 (the only report format this tfjs-prune reads); got ${describe(copy.version)}. ` +
        'Read the report with the tfjs-prune version that wrote it, or pass the object returned by report.toJSON().',
    );
  }
  text(copy.criterion, 'report.criterion');
  if (copy.objective !== 'flops' && copy.objective !== 'params' && copy.objective !== 'latency' && copy.objective !== 'size') {
    fail('report.objective', "'flops', 'params', 'latency' or 'size'", copy.objective);
  }
  const directions = object(copy.metricDirections, 'report.metricDirections');
  for (const [name, direction] of Object.entries(directions)) {
    if (direction !== 'higher' && direction !== 'lower') fail(`report.metricDirections.${name}`, "'higher' or 'lower'", direction);
  }
  measurement(copy.baseline, 'report.baseline');
  measurement(copy.final, 'report.final');
  if (!Array.isArray(copy.steps)) fail('report.steps', 'an array of step records', copy.steps);
  copy.steps.forEach((s, i) => step(s, `report.steps[${i}]`));
  text(copy.stoppedBy, 'report.stoppedBy');
  if (copy.stopDetail !== undefined) text(copy.stopDetail, 'report.stopDetail');
  if (copy.rolledBackTo !== undefined) {
    const r = object(copy.rolledBackTo, 'report.rolledBackTo');
    count(r.step, 'report.rolledBackTo.step');
    text(r.reason, 'report.rolledBackTo.reason');
  }
  if (copy.finalBeforeFineTune !== undefined) metricRecord(copy.finalBeforeFineTune, 'report.finalBeforeFineTune');
  if (copy.inputShape !== undefined) {
    if (!Array.isArray(copy.inputShape)) fail('report.inputShape', 'an array of shapes', copy.inputShape);
    copy.inputShape.forEach((shape, i) => {
      if (!Array.isArray(shape)) fail(`report.inputShape[${i}]`, 'an array of sizes', shape);
      shape.forEach((d, j) => count(d, `report.inputShape[${i}][${j}]`));
    });
  }
  if (copy.warnings !== undefined) {
    if (!Array.isArray(copy.warnings)) fail('report.warnings', 'an array of strings', copy.warnings);
    copy.warnings.forEach((w, i) => text(w, `report.warnings[${i}]`));
  }
  secondsRecord(copy.seconds, 'report.seconds', ['total', 'scoring', 'surgery', 'fineTune', 'evaluation']);
  if (!Array.isArray(copy.groups)) fail('report.groups', 'an array of { id, size, prunable }', copy.groups);
  copy.groups.forEach((g, i) => group(g, `report.groups[${i}]`));
  return copy as unknown as PruneReportJSON;
}

/**
 * A deep copy of a report's JSON that has already been checked (no validation).
 *
 * @example
 * ```ts
 * toJSON: () => cloneReportJSON(data),
 * ```
 */
export function cloneReportJSON(json: PruneReportJSON): PruneReportJSON {
  return copyJson(json, 'report') as PruneReportJSON;
}
