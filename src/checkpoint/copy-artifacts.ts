import type * as tf from '@tensorflow/tfjs';
import { copyWeightData, isArrayBuffer } from './weight-data';

/** The JSON-valued fields of `tf.io.ModelArtifacts` (everything but the binary ones). */
const JSON_FIELDS = [
  'trainingConfig',
  'weightSpecs',
  'format',
  'generatedBy',
  'convertedBy',
  'signature',
  'userDefinedMetadata',
  'modelInitializer',
  'initializerSignature',
] as const;

/**
 * A deep copy of model artifacts that shares nothing with `artifacts`: JSON fields are cloned, and
 * the weight data (one buffer or shards) is copied into one new ArrayBuffer. `getWeightStream` is
 * not kept (the copy always has its weights in `weightData`).
 *
 * @example
 * ```ts
 * const mine = copyArtifacts(artifacts);
 * new Uint8Array(artifacts.weightData as ArrayBuffer).fill(0); // `mine` is unaffected
 * ```
 */
export function copyArtifacts(artifacts: tf.io.ModelArtifacts): tf.io.ModelArtifacts {
  const copy: tf.io.ModelArtifacts = {};
  const topology = artifacts.modelTopology;
  if (topology !== undefined) {
    copy.modelTopology = isArrayBuffer(topology) ? topology.slice(0) : cloneJson(topology);
  }
  for (const field of JSON_FIELDS) {
    const value = artifacts[field];
    if (value !== undefined) (copy as Record<string, unknown>)[field] = cloneJson(value);
  }
  if (artifacts.weightData !== undefined) copy.weightData = copyWeightData(artifacts.weightData);
  return copy;
}

function cloneJson<T>(value: T): T {
  return value === null ? value : (JSON.parse(JSON.stringify(value)) as T);
}
