import type * as tf from '@tensorflow/tfjs';
import { PruneError } from '../errors';
import { validateArtifacts } from '../checkpoint/validate-checkpoint';
import { copyWeightData, isArrayBuffer } from '../checkpoint/weight-data';

/**
 * Name of the topology + weights manifest file of a saved model.
 *
 * @example
 * ```ts
 * path.join(dir, MODEL_JSON); // dir/model.json
 * ```
 */
export const MODEL_JSON = 'model.json';
/**
 * Name of the one weights file a saved model's manifest points at.
 *
 * @example
 * ```ts
 * path.join(dir, WEIGHTS_BIN); // dir/weights.bin
 * ```
 */
export const WEIGHTS_BIN = 'weights.bin';

/** Fields of `tf.io.ModelArtifacts` that `model.json` carries as they are. */
const PASSED_FIELDS = ['format', 'generatedBy', 'convertedBy', 'trainingConfig', 'signature', 'userDefinedMetadata', 'modelInitializer', 'initializerSignature'] as const;

/**
 * The two files of a saved TF.js LayersModel, as bytes: `model.json` (topology, the artifacts'
 * metadata, and a weights manifest whose one group points at `weights.bin`) and `weights.bin`
 * (every weight in manifest order). This is the layout `model.save('file://dir')` writes with
 * tfjs-node and `tf.loadLayersModel` reads; `artifacts` must be valid (see `validateArtifacts`).
 *
 * @example
 * ```ts
 * const files = encodeModelFiles(await modelToArtifacts(model));
 * files[MODEL_JSON]; // Uint8Array of UTF-8 JSON
 * ```
 */
export function encodeModelFiles(artifacts: tf.io.ModelArtifacts): Record<typeof MODEL_JSON | typeof WEIGHTS_BIN, Uint8Array> {
  const json: Record<string, unknown> = { modelTopology: artifacts.modelTopology };
  for (const field of PASSED_FIELDS) {
    if (artifacts[field] !== undefined) json[field] = artifacts[field];
  }
  json.weightsManifest = [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }] satisfies tf.io.WeightsManifestConfig;
  const data = artifacts.weightData ?? new ArrayBuffer(0);
  return {
    [MODEL_JSON]: new TextEncoder().encode(JSON.stringify(json)),
    [WEIGHTS_BIN]: new Uint8Array(isArrayBuffer(data) ? data : copyWeightData(data)),
  };
}

/**
 * Reads a saved model back into artifacts: parses `model.json`, reads every file its weights
 * manifest names (through `read`, with names relative to the model's directory; names that leave
 * the directory are refused) and joins them into one weight buffer. Problems are reported through
 * `fail(file, problem)`, which throws.
 *
 * @example
 * ```ts
 * const artifacts = await decodeModelFiles(
 *   (name) => fs.readFile(path.join(dir, name)),
 *   (file, problem) => { throw new Error(`${file}: ${problem}`); },
 * );
 * ```
 */
export async function decodeModelFiles(read: (name: string) => Promise<Uint8Array>, fail: (file: string, problem: string) => never): Promise<tf.io.ModelArtifacts> {
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(await read(MODEL_JSON))) as tf.io.ModelJSON;
  } catch (e) {
    if (e instanceof PruneError) throw e;
    return fail(MODEL_JSON, `is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) fail(MODEL_JSON, 'does not hold a JSON object');
  const manifest = json.weightsManifest as unknown;
  if (!Array.isArray(manifest) || !manifest.every((g) => g !== null && typeof g === 'object' && Array.isArray(g.paths) && Array.isArray(g.weights))) {
    fail(MODEL_JSON, 'has no valid weightsManifest (a list of { paths, weights } groups)');
  }
  const groups = manifest as tf.io.WeightsManifestConfig;
  const buffers: Uint8Array[] = [];
  for (const name of groups.flatMap((g) => g.paths)) {
    if (typeof name !== 'string' || !/^[^/\\]+(\/[^/\\]+)*$/.test(name) || name.split('/').some((part) => part === '..' || part === '.')) {
      fail(MODEL_JSON, `names the weights file ${JSON.stringify(name)}, which is not a plain relative path inside the model's directory`);
    }
    buffers.push(await read(name));
  }
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: json.modelTopology,
    weightSpecs: groups.flatMap((g) => g.weights),
    weightData: concatBytes(buffers),
  };
  for (const field of PASSED_FIELDS) {
    const value = (json as unknown as Record<string, unknown>)[field];
    if (value !== undefined) (artifacts as Record<string, unknown>)[field] = value;
  }
  try {
    validateArtifacts(artifacts, 'model');
  } catch (e) {
    if (!(e instanceof PruneError)) throw e;
    const why = e.message.replace(/ Make model artifacts with .*$/, '').replace(/\.$/, '');
    fail(MODEL_JSON, `and the weight files it names do not form a complete model (${why})`);
  }
  return artifacts;
}

/** The bytes of `parts` in order, in one new ArrayBuffer. */
function concatBytes(parts: Uint8Array[]): ArrayBuffer {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out.buffer;
}
