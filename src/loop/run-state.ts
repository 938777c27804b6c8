import type * as tf from '@tensorflow/tfjs';
import { PruneError } from '../errors';
import type { StreamPosition } from '../finetune/training-stream';
import { analyze } from '../graph/analyze';
import type { Measurement } from '../report/measurement';
import type { PruneReportJSON } from '../report/report-json';
import type { StepRecord } from '../report/step-record';

/** The loop's own state, as stored in checkpoints (JSON). */
export interface RunState {
  version: 1;
  step: number;
  seed: number;
  criterion: string;
  baseline: Measurement;
  history: StepRecord[];
  /** Step whose model is the last one meeting every bound (0: the original). */
  bestStep: number;
  stream: StreamPosition;
  originalSizes: Record<string, number>;
  groups: Array<{ id: string; size: number; prunable: boolean }>;
  seconds: PruneReportJSON['seconds'];
  /** Set once a stop was decided (the run may have been killed before finishing). */
  stopped?: { by: string; detail?: string; rollback: boolean };
  /** The run's settings, to refuse resuming with other ones. */
  settings: string;
  /** Warnings of the steps so far (see PruneReportJSON.warnings). */
  warnings?: string[];
}

const HOW_TO_FIX =
  'The checkpoint was not written by pruneIteratively of this tfjs-prune version, or it was changed after it was written. ' +
  'Its run cannot be resumed: clear the store (checkpoint.clear()) to start over.';

function refuse(where: string, path: string, problem: string): never {
  throw new PruneError('CHECKPOINT_INVALID', `${where}: the checkpoint's loop state is malformed: ${path} ${problem}. ${HOW_TO_FIX}`);
}

function show(value: unknown): string {
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value !== null && typeof value === 'object') return 'an object';
  const text = JSON.stringify(value) ?? String(value);
  return `${text.length > 40 ? `${text.slice(0, 40)}...` : text}`;
}

type Checker = (value: unknown, path: string) => void;

/** A validator that remembers where it is reporting for. */
function checkers(where: string) {
  const expect = (ok: boolean, value: unknown, path: string, expected: string): void => {
    if (!ok) refuse(where, path, `is ${show(value)}, but ${expected} was expected`);
  };
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const object = (v: unknown, path: string): Record<string, unknown> => {
    expect(isObject(v), v, path, 'an object');
    return v as Record<string, unknown>;
  };
  const integer = (v: unknown, path: string, min = 0): number => {
    expect(Number.isInteger(v) && (v as number) >= min, v, path, `an integer >= ${min}`);
    return v as number;
  };
  const amount: Checker = (v, path) => expect(typeof v === 'number' && Number.isFinite(v) && v >= 0, v, path, 'a finite number >= 0');
  const number: Checker = (v, path) => expect(typeof v === 'number' && Number.isFinite(v), v, path, 'a finite number');
  const text: Checker = (v, path) => expect(typeof v === 'string', v, path, 'a string');
  const record = (v: unknown, path: string, each: Checker): Record<string, unknown> => {
    const o = object(v, path);
    for (const [k, item] of Object.entries(o)) each(item, `${path}.${k}`);
    return o;
  };
  const measurement = (v: unknown, path: string): void => {
    const m = object(v, path);
    amount(m.params, `${path}.params`);
    amount(m.flops, `${path}.flops`);
    if (m.latencyMs !== undefined) amount(m.latencyMs, `${path}.latencyMs`);
    record(m.metrics, `${path}.metrics`, number);
  };
  const seconds = (v: unknown, path: string, keys: readonly string[]): void => {
    const s = object(v, path);
    for (const k of keys) amount(s[k], `${path}.${k}`);
    if (s.compensation !== undefined) amount(s.compensation, `${path}.compensation`);
  };
  return { expect, object, integer, amount, number, text, record, measurement, seconds };
}

/**
 * Checks the loop state of a checkpoint before a run resumes from it, field by field, and against
 * the checkpoint's step, the model's pruning groups and the checkpoint's models (`best` present
 * exactly when the last good step is not the last step). Throws `CHECKPOINT_INVALID` naming the
 * first field that is wrong; nothing is computed from a state that fails.
 *
 * @example
 * ```ts
 * const state = validateRunState(saved.state, { step: saved.step, hasBest: saved.best !== undefined, groups, where: 'pruneIteratively' });
 * ```
 */
export function validateRunState(
  value: unknown,
  context: { step: number; hasBest: boolean; groups: RunState['groups']; where: string },
): RunState {
  const c = checkers(context.where);
  const s = c.object(value, 'state');
  c.expect(s.version === 1, s.version, 'state.version', 'version 1');
  const step = c.integer(s.step, 'state.step');
  c.expect(step === context.step, step, 'state.step', `the checkpoint's step (${context.step})`);
  c.integer(s.seed, 'state.seed', Number.MIN_SAFE_INTEGER);
  c.text(s.criterion, 'state.criterion');
  c.text(s.settings, 'state.settings');
  c.expect(JSON.stringify(s.groups) === JSON.stringify(context.groups), s.groups, 'state.groups', "the pruning groups of the model passed (a checkpoint of this model's run)");
  const prunable = context.groups.filter((g) => g.prunable);
  const sizes = c.record(s.originalSizes, 'state.originalSizes', (v, path) => c.integer(v, path, 1));
  c.expect(
    JSON.stringify(sizes) === JSON.stringify(Object.fromEntries(prunable.map((g) => [g.id, g.size]))),
    sizes,
    'state.originalSizes',
    `the sizes of the model's prunable groups (${prunable.map((g) => `${g.id}: ${g.size}`).join(', ')})`,
  );
  c.measurement(s.baseline, 'state.baseline');
  c.expect(Array.isArray(s.history) && s.history.length === step, s.history, 'state.history', `an array of ${step} step records (one per completed step)`);
  (s.history as unknown[]).forEach((item, i) => {
    const path = `state.history[${i}]`;
    const r = c.object(item, path);
    c.expect(r.step === i + 1, r.step, `${path}.step`, `step ${i + 1}`);
    for (const key of ['removedPerGroup', 'removedPerLayer', 'channels']) c.record(r[key], `${path}.${key}`, (v, p) => c.integer(v, p));
    const channels = r.channels as Record<string, number>;
    for (const id of Object.keys(channels)) {
      c.expect(id in sizes && channels[id] <= (sizes[id] as number), channels[id], `${path}.channels.${id}`, `a channel count of a prunable group, at most its original size`);
    }
    c.amount(r.params, `${path}.params`);
    c.amount(r.flops, `${path}.flops`);
    if (r.latencyMs !== undefined) c.amount(r.latencyMs, `${path}.latencyMs`);
    c.record(r.metricsBeforeFineTune, `${path}.metricsBeforeFineTune`, c.number);
    c.record(r.metricsAfterFineTune, `${path}.metricsAfterFineTune`, c.number);
    c.seconds(r.seconds, `${path}.seconds`, ['scoring', 'surgery', 'fineTune', 'evaluation']);
    if (r.compensation !== undefined) {
      const comp = c.object(r.compensation, `${path}.compensation`);
      c.integer(comp.examples, `${path}.compensation.examples`);
      c.amount(comp.seconds, `${path}.compensation.seconds`);
      for (const key of ['layers', 'batchNorm', 'skipped']) c.expect(Array.isArray(comp[key]), comp[key], `${path}.compensation.${key}`, 'an array');
    }
  });
  const bestStep = c.integer(s.bestStep, 'state.bestStep');
  c.expect(bestStep <= step, bestStep, 'state.bestStep', `a step from 0 to ${step}`);
  c.expect(context.hasBest === (bestStep !== step), bestStep, 'state.bestStep', context.hasBest ? `an earlier step than ${step} (the checkpoint holds a separate best model)` : `step ${step} (the checkpoint holds no separate best model)`);
  const stream = c.object(s.stream, 'state.stream');
  c.integer(stream.epoch, 'state.stream.epoch');
  c.integer(stream.offset, 'state.stream.offset');
  c.seconds(s.seconds, 'state.seconds', ['total', 'scoring', 'surgery', 'fineTune', 'evaluation']);
  if (s.stopped !== undefined) {
    const stopped = c.object(s.stopped, 'state.stopped');
    c.text(stopped.by, 'state.stopped.by');
    if (stopped.detail !== undefined) c.text(stopped.detail, 'state.stopped.detail');
    c.expect(typeof stopped.rollback === 'boolean', stopped.rollback, 'state.stopped.rollback', 'true or false');
  }
  if (s.warnings !== undefined) {
    c.expect(Array.isArray(s.warnings), s.warnings, 'state.warnings', 'an array of strings');
    (s.warnings as unknown[]).forEach((w, i) => c.text(w, `state.warnings[${i}]`));
  }
  return s as unknown as RunState;
}

/**
 * Checks that a resumed training stream's position lies within an epoch of the data (tensor
 * data: at most `batchesPerEpoch` minibatches drawn; a dataset's length is not known).
 *
 * @example
 * ```ts
 * checkStreamPosition(state.stream, stream.batchesPerEpoch, 'pruneIteratively');
 * ```
 */
export function checkStreamPosition(position: StreamPosition, batchesPerEpoch: number | null, where: string): void {
  if (batchesPerEpoch !== null && position.offset > batchesPerEpoch) {
    refuse(where, 'state.stream.offset', `is ${position.offset}, but an epoch of data.train has ${batchesPerEpoch} minibatches (another training set or batch size?)`);
  }
}

/**
 * Checks that a model restored from a checkpoint has the channels the loop state says the model
 * of `step` has (the original sizes for step 0, else that step record's `channels`).
 *
 * @example
 * ```ts
 * checkRestoredModel(current, state, state.step, 'pruneIteratively');
 * ```
 */
export function checkRestoredModel(model: tf.LayersModel, state: RunState, step: number, where: string): void {
  const expected = step === 0 ? state.originalSizes : state.history[step - 1].channels;
  const path = step === 0 ? 'state.originalSizes' : `state.history[${step - 1}].channels`;
  const actual = Object.fromEntries(analyze(model).groups.filter((g) => g.prunable).map((g) => [g.id, g.size]));
  for (const [id, n] of Object.entries(expected)) {
    if (actual[id] !== n) {
      refuse(where, path, `says group '${id}' has ${n} channels after step ${step}, but the checkpoint's model of that step has ${actual[id] ?? 'no such group'}`);
    }
  }
}
