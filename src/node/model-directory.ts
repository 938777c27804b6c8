import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { modelFromArtifacts, modelToArtifacts } from '../checkpoint/model-artifacts';
import { PruneError } from '../errors';
import { hasErrorCode, nodeCheckpointFs } from './checkpoint-fs';
import { decodeModelFiles, encodeModelFiles, MODEL_JSON, WEIGHTS_BIN } from './model-files';

/**
 * Where {@link saveModelDirectory} wrote a model.
 *
 * @example
 * ```ts
 * const { modelJson, weightBytes }: SavedModelDirectory = await saveModelDirectory(model, 'out/pruned');
 * ```
 */
export interface SavedModelDirectory {
  /** Absolute path of `model.json` (topology and weights manifest). */
  modelJson: string;
  /** Absolute path of `weights.bin` (every weight, in manifest order). */
  weightsBin: string;
  /** Size of `weights.bin` in bytes. */
  weightBytes: number;
}

/**
 * Saves a LayersModel as `model.json` + `weights.bin` in `directory` (created if needed), the
 * layout `model.save('file://...')` writes with tfjs-node, without needing tfjs-node: serve the
 * two files and `tf.loadLayersModel(url)` loads them, or read them back with
 * {@link loadModelDirectory}. SeparableConv2D depth multipliers are kept (see
 * `modelToArtifacts`). Each file is written to a temporary name, flushed and renamed over the old
 * one, weights first; the pair is not replaced atomically as a whole: use `fileCheckpointStore`
 * for that. Creates no tensors.
 *
 * @example
 * ```ts
 * import { saveModelDirectory } from 'tfjs-prune/node';
 *
 * const { modelJson } = await saveModelDirectory(model, 'out/pruned'); // out/pruned/model.json
 * ```
 */
export async function saveModelDirectory(model: tf.LayersModel, directory: string): Promise<SavedModelDirectory> {
  assertDirectory(directory, 'saveModelDirectory');
  return writeModelDirectory(path.resolve(directory), await modelToArtifacts(model));
}

/** Writes artifacts as model.json + weights.bin in `dir`, each file through a temporary name. */
async function writeModelDirectory(dir: string, artifacts: tf.io.ModelArtifacts): Promise<SavedModelDirectory> {
  const files = encodeModelFiles(artifacts);
  const fs = nodeCheckpointFs;
  await fs.mkdir(dir);
  for (const name of [WEIGHTS_BIN, MODEL_JSON] as const) {
    const temp = path.join(dir, `.${name}.tmp-${randomBytes(4).toString('hex')}`);
    try {
      await fs.writeFile(temp, files[name], true);
      await fs.rename(temp, path.join(dir, name));
    } catch (e) {
      await fs.remove(temp).catch(() => undefined);
      throw e;
    }
  }
  await fs.syncDir(dir);
  return { modelJson: path.join(dir, MODEL_JSON), weightsBin: path.join(dir, WEIGHTS_BIN), weightBytes: files[WEIGHTS_BIN].byteLength };
}

/**
 * A `tf.io` IOHandler for a model directory (`model.json` + `weights.bin`, written as
 * {@link saveModelDirectory} writes them): pass it wherever TF.js or tfjs-prune takes a save
 * destination, such as `model.save(handler)` or `saveQuantized(model, handler, { dtype })`, and
 * to `tf.loadLayersModel(handler)` to read the directory back. Needs no tfjs-node.
 *
 * @example
 * ```ts
 * import { saveQuantized } from 'tfjs-prune';
 * import { modelDirectoryHandler } from 'tfjs-prune/node';
 *
 * await saveQuantized(model, modelDirectoryHandler('out/pruned-uint8'), { dtype: 'uint8' });
 * const loaded = await tf.loadLayersModel(modelDirectoryHandler('out/pruned-uint8'));
 * ```
 */
export function modelDirectoryHandler(directory: string): tf.io.IOHandler {
  assertDirectory(directory, 'modelDirectoryHandler');
  const dir = path.resolve(directory);
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const { weightBytes } = await writeModelDirectory(dir, artifacts);
      const topologyBytes = new TextEncoder().encode(JSON.stringify(artifacts.modelTopology ?? null)).byteLength;
      const specBytes = new TextEncoder().encode(JSON.stringify(artifacts.weightSpecs ?? [])).byteLength;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', modelTopologyBytes: topologyBytes, weightSpecsBytes: specBytes, weightDataBytes: weightBytes } };
    },
    load: () => readModelDirectory(dir),
  };
}

/**
 * Loads a model saved as `model.json` + weight files in `directory` (by {@link saveModelDirectory},
 * by `model.save('file://...')` with tfjs-node, or a checkpoint's model directory), with plain
 * TF.js: no tfjs-node needed. A missing or damaged file throws PruneError('CHECKPOINT_INVALID')
 * naming it; a layer class that is not registered throws PruneError('UNREGISTERED_LAYER').
 *
 * @example
 * ```ts
 * import { loadModelDirectory } from 'tfjs-prune/node';
 *
 * const model = await loadModelDirectory('out/pruned');
 * ```
 */
export async function loadModelDirectory(directory: string): Promise<tf.LayersModel> {
  assertDirectory(directory, 'loadModelDirectory');
  return modelFromArtifacts(await readModelDirectory(path.resolve(directory)));
}

/** Reads model.json and its weight files from `dir` into artifacts (quantized weights stay encoded). */
async function readModelDirectory(dir: string): Promise<tf.io.ModelArtifacts> {
  const fail = (file: string, problem: string): never => {
    throw new PruneError('CHECKPOINT_INVALID', `The model in '${dir}' cannot be loaded: ${path.join(dir, file)} ${problem}. Save the model again (saveModelDirectory).`);
  };
  return decodeModelFiles(async (name) => {
    try {
      return await nodeCheckpointFs.readFile(path.join(dir, ...name.split('/')));
    } catch (e) {
      return fail(name, hasErrorCode(e, 'ENOENT') ? 'does not exist' : `cannot be read (${(e as Error).message})`);
    }
  }, fail);
}

function assertDirectory(directory: unknown, fn: string): void {
  if (typeof directory !== 'string' || directory.length === 0) {
    throw new PruneError('INVALID_OPTION', `${fn}(model, directory): directory is ${JSON.stringify(directory)}, but a non-empty path was expected, e.g. 'out/pruned'.`);
  }
}
