import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';

/** Where {@link saveModelFiles} wrote the model. */
export interface SavedModelFiles {
  /** Path of `model.json` (topology plus weights manifest). */
  modelJson: string;
  /** Path of `weights.bin` (every weight, float32, in manifest order). */
  weightsBin: string;
  /** Size of `weights.bin` in bytes. */
  weightBytes: number;
}

/**
 * Writes a LayersModel as `model.json` + `weights.bin` in `dir`: the layout
 * `model.save('file://dir')` produces with tfjs-node, for hosts without tfjs-node (uses Node's fs,
 * so it is for examples and scripts, not for the browser). Load it back with
 * {@link loadModelFiles}, or serve the two files over HTTP and use `tf.loadLayersModel(url)`.
 *
 * @example
 * ```ts
 * const { modelJson } = await saveModelFiles(model, 'out/mnist');
 * const again = await loadModelFiles(modelJson);
 * ```
 */
export async function saveModelFiles(model: tf.LayersModel, dir: string): Promise<SavedModelFiles> {
  fs.mkdirSync(dir, { recursive: true });
  const modelJson = path.join(dir, 'model.json');
  const weightsBin = path.join(dir, 'weights.bin');
  let weightBytes = 0;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      weightBytes = data.byteLength;
      const json: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as tf.io.ModelJSON['modelTopology'],
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      fs.writeFileSync(modelJson, JSON.stringify(json));
      fs.writeFileSync(weightsBin, Buffer.from(data));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  return { modelJson, weightsBin, weightBytes };
}

/**
 * Reads a model written by {@link saveModelFiles} (or by `model.save('file://...')`) with plain
 * TF.js: no tfjs-node and no tfjs-prune needed.
 *
 * @example
 * ```ts
 * const model = await loadModelFiles('out/mnist/model.json');
 * ```
 */
export async function loadModelFiles(modelJsonPath: string): Promise<tf.LayersModel> {
  const json = JSON.parse(fs.readFileSync(modelJsonPath, 'utf8')) as tf.io.ModelJSON;
  const dir = path.dirname(modelJsonPath);
  const artifacts = await tf.io.getModelArtifactsForJSON(json, async (manifest) => {
    const specs = manifest.flatMap((group) => group.weights);
    const buffers = manifest.flatMap((group) =>
      group.paths.map((p) => {
        const bytes = fs.readFileSync(path.join(dir, p));
        return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      }),
    );
    return [specs, tf.io.CompositeArrayBuffer.join(buffers)];
  });
  return tf.loadLayersModel(tf.io.fromMemory(artifacts));
}
