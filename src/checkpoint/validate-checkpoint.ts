import type * as tf from '@tensorflow/tfjs';
import { PruneError } from '../errors';
import type { Checkpoint } from './checkpoint-store';
import { assertJsonValue } from './json-value';
import { expectedWeightBytes, isArrayBuffer, weightDataByteLength } from './weight-data';

/**
 * The checkpoint format version this tfjs-prune writes and reads.
 *
 * @example
 * ```ts
 * const checkpoint: Checkpoint = { version: CHECKPOINT_VERSION, step: 0, model: artifacts, state: {} };
 * ```
 */
export const CHECKPOINT_VERSION = 1;

/**
 * Checks a checkpoint before a store saves it: known `version`, a non-negative integer `step`,
 * complete model artifacts for `model` (and `best`, when given) and plain-JSON `state` (or
 * none: `undefined`). Throws a
 * PruneError('CHECKPOINT_INVALID') that names the field otherwise, so a store never writes
 * something it could not read back.
 *
 * @example
 * ```ts
 * validateCheckpoint({ version: 1, step: 2, model: await modelToArtifacts(model), state: {} });
 * ```
 */
export function validateCheckpoint(checkpoint: Checkpoint): void {
  if (checkpoint === null || typeof checkpoint !== 'object') {
    throw new PruneError('CHECKPOINT_INVALID', `The checkpoint to save is ${checkpoint === null ? 'null' : typeof checkpoint}, but an object { version, step, model, best?, state } was expected.`);
  }
  if (checkpoint.version !== CHECKPOINT_VERSION) {
    throw new PruneError(
      'CHECKPOINT_INVALID',
      `checkpoint.version is ${JSON.stringify(checkpoint.version)}, but this tfjs-prune writes checkpoint version ${CHECKPOINT_VERSION}; set version: ${CHECKPOINT_VERSION}.`,
    );
  }
  if (!Number.isInteger(checkpoint.step) || checkpoint.step < 0) {
    throw new PruneError('CHECKPOINT_INVALID', `checkpoint.step is ${String(checkpoint.step)}, but the number of completed steps (an integer >= 0) was expected.`);
  }
  validateArtifacts(checkpoint.model, 'checkpoint.model');
  if (checkpoint.best !== undefined) validateArtifacts(checkpoint.best, 'checkpoint.best');
  if (checkpoint.state !== undefined) assertJsonValue(checkpoint.state, 'checkpoint.state');
}

/**
 * Checks that `artifacts` hold a whole LayersModel: a JSON topology, weight specs and weight data
 * of the size the specs describe. Throws a PruneError('CHECKPOINT_INVALID') naming `path`
 * otherwise.
 *
 * @example
 * ```ts
 * validateArtifacts(await modelToArtifacts(model), 'checkpoint.model');
 * ```
 */
export function validateArtifacts(artifacts: tf.io.ModelArtifacts, path: string): void {
  const fix = 'Make model artifacts with modelToArtifacts(model).';
  if (artifacts === null || typeof artifacts !== 'object') {
    throw new PruneError('CHECKPOINT_INVALID', `${path} is ${artifacts === null ? 'null' : typeof artifacts}, but model artifacts were expected. ${fix}`);
  }
  const topology = artifacts.modelTopology;
  if (topology === null || typeof topology !== 'object' || isArrayBuffer(topology) || Array.isArray(topology)) {
    const what = isArrayBuffer(topology) ? 'binary (a GraphModel?)' : topology === undefined ? 'missing' : 'not a JSON object';
    throw new PruneError('CHECKPOINT_INVALID', `${path}.modelTopology is ${what}, but the JSON topology of a tf.LayersModel was expected. ${fix}`);
  }
  if (!Array.isArray(artifacts.weightSpecs)) {
    throw new PruneError('CHECKPOINT_INVALID', `${path}.weightSpecs is missing, so the weights cannot be read back. ${fix}`);
  }
  const data = artifacts.weightData;
  if (data === undefined || !(isArrayBuffer(data) || (Array.isArray(data) && data.every(isArrayBuffer)))) {
    throw new PruneError(
      'CHECKPOINT_INVALID',
      `${path}.weightData is ${data === undefined ? 'missing' : 'not an ArrayBuffer or an array of ArrayBuffers'}, but the model's weights were expected. ${fix}`,
    );
  }
  const expected = expectedWeightBytes(artifacts.weightSpecs);
  const actual = weightDataByteLength(data);
  if (expected !== undefined && expected !== actual) {
    throw new PruneError(
      'CHECKPOINT_INVALID',
      `${path}.weightData has ${actual} bytes, but its ${artifacts.weightSpecs.length} weight specs describe ${expected} bytes: the weights do not belong to these specs, or were cut short. ${fix}`,
    );
  }
}
