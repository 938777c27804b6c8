import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { loadModelFiles } from '../shared/save-model-files';

/**
 * The path of the 2x model of `@upscalerjs/esrgan-slim` (MIT licence), installed from npm: an RDN
 * super-resolution LayersModel whose input is `[null, null, null, 3]` with pixel values in
 * [0, 255] and whose output is twice as tall and wide, also in [0, 255]. The package's `exports`
 * hide its `package.json`, so this walks up from its entry point to its `models/` folder.
 *
 * @example
 * ```ts
 * const file = esrganSlimModelJson(); // .../node_modules/@upscalerjs/esrgan-slim/models/x2/model.json
 * ```
 */
export function esrganSlimModelJson(): string {
  let dir = path.dirname(require.resolve('@upscalerjs/esrgan-slim'));
  for (;;) {
    const file = path.join(dir, 'models', 'x2', 'model.json');
    if (fs.existsSync(file)) return file;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('@upscalerjs/esrgan-slim is installed without models/x2/model.json; run npm install.');
    dir = up;
  }
}

/**
 * Loads the 2x model of `@upscalerjs/esrgan-slim` with the active backend (no network: the
 * weights ship in the package).
 *
 * @example
 * ```ts
 * const model = await loadEsrganSlim();
 * const y = model.predict(tf.zeros([1, 64, 64, 3])) as tf.Tensor; // [1, 128, 128, 3]
 * ```
 */
export function loadEsrganSlim(): Promise<tf.LayersModel> {
  return loadModelFiles(esrganSlimModelJson());
}
