import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadModelDirectory, saveModelDirectory } from '../../src/node/model-directory';
import { convBnDenseModel, predictionOf, separableModel } from '../checkpoint/models';
import { expectPruneErrorAsync } from '../helpers/expect-prune-error';
import { listing, makeTempDir } from './temp-dir';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = makeTempDir()));
afterEach(() => cleanup());

describe('saveModelDirectory / loadModelDirectory', () => {
  it('write model.json + weights.bin that load back, with plain TF.js too, to identical predictions', async () => {
    for (const make of [convBnDenseModel, separableModel]) {
      const model = make();
      const target = path.join(dir, model.name);
      const saved = await saveModelDirectory(model, target);
      expect(saved).toEqual({ modelJson: path.join(target, 'model.json'), weightsBin: path.join(target, 'weights.bin'), weightBytes: fs.statSync(saved.weightsBin).size });
      expect(listing(target)).toEqual(['model.json', 'weights.bin']);

      const before = tf.memory().numTensors;
      const again = await loadModelDirectory(target);
      expect(predictionOf(again)).toEqual(predictionOf(model));
      again.dispose();
      expect(tf.memory().numTensors).toBe(before);

      const json = JSON.parse(fs.readFileSync(saved.modelJson, 'utf8')) as tf.io.ModelJSON;
      const bytes = fs.readFileSync(saved.weightsBin);
      const plain = await tf.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: json.modelTopology,
          weightSpecs: json.weightsManifest[0].weights,
          weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
        }),
      );
      expect(predictionOf(plain)).toEqual(predictionOf(model));
      plain.dispose();
      model.dispose();
    }
  });

  it('overwrites an earlier save and leaves no temporary file', async () => {
    const a = convBnDenseModel();
    const b = separableModel();
    await saveModelDirectory(a, dir);
    await saveModelDirectory(b, dir);
    expect(listing(dir)).toEqual(['model.json', 'weights.bin']);
    const again = await loadModelDirectory(dir);
    expect(predictionOf(again)).toEqual(predictionOf(b));
    [a, b, again].forEach((m) => m.dispose());
  });

  it('names the missing or damaged file', async () => {
    await expectPruneErrorAsync(() => loadModelDirectory(dir), 'CHECKPOINT_INVALID', `${path.join(dir, 'model.json')} does not exist`);
    const model = convBnDenseModel();
    await saveModelDirectory(model, dir);
    fs.truncateSync(path.join(dir, 'weights.bin'), 12);
    await expectPruneErrorAsync(() => loadModelDirectory(dir), 'CHECKPOINT_INVALID', 'model.json and the weight files it names do not form a complete model', 'model.weightData has 12 bytes');
    fs.rmSync(path.join(dir, 'weights.bin'));
    await expectPruneErrorAsync(() => loadModelDirectory(dir), 'CHECKPOINT_INVALID', `${path.join(dir, 'weights.bin')} does not exist`);
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['../x.bin'], weights: [] }] }));
    await expectPruneErrorAsync(() => loadModelDirectory(dir), 'CHECKPOINT_INVALID', 'not a plain relative path');
    await expectPruneErrorAsync(() => saveModelDirectory(model, ''), 'INVALID_OPTION', 'directory');
    model.dispose();
  });
});
