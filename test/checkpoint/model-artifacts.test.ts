import * as tf from '@tensorflow/tfjs';
import { modelFromArtifacts, modelToArtifacts } from '../../src/checkpoint/model-artifacts';
import { expectPruneErrorAsync } from '../helpers/expect-prune-error';
import { convBnDenseModel, predictionOf, separableModel } from './models';

/** Saves `model` the way plain TF.js does (no depth_multiplier repair). */
async function plainSave(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return saved as tf.io.ModelArtifacts;
}

describe('modelToArtifacts / modelFromArtifacts', () => {
  it('round-trips a conv/BN/dense model to identical predictions, without leaking tensors', async () => {
    const model = convBnDenseModel();
    const before = tf.memory().numTensors;
    const artifacts = await modelToArtifacts(model);
    expect(tf.memory().numTensors).toBe(before);
    const copy = await modelFromArtifacts(artifacts);
    expect(tf.memory().numTensors).toBe(before + copy.weights.length);
    expect(copy).not.toBe(model);
    expect(copy.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
    expect(predictionOf(copy)).toEqual(predictionOf(model));
    copy.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('keeps SeparableConv2D depthMultiplier (2 at the top, 3 in a nested Sequential) where plain model.save loses it', async () => {
    const model = separableModel();
    const before = tf.memory().numTensors;
    const artifacts = await modelToArtifacts(model);
    const copy = await modelFromArtifacts(artifacts);
    const inner = copy.getLayer('inner') as unknown as tf.LayersModel;
    expect((copy.getLayer('sep') as unknown as { depthMultiplier: number }).depthMultiplier).toBe(2);
    expect((inner.getLayer('sep_inner') as unknown as { depthMultiplier: number }).depthMultiplier).toBe(3);
    expect(predictionOf(copy)).toEqual(predictionOf(model));
    copy.dispose();
    expect(tf.memory().numTensors).toBe(before);

    // What the repair is for: TF.js's own artifacts do not load, and nothing is left behind.
    const plain = await plainSave(model);
    await expectPruneErrorAsync(() => modelFromArtifacts(plain), 'CHECKPOINT_INVALID', 'SeparableConv2D', 'modelToArtifacts');
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('returns artifacts that own their weight data and are not changed by loading them', async () => {
    const model = convBnDenseModel();
    const artifacts = await modelToArtifacts(model);
    const again = await modelToArtifacts(model);
    expect(Object.prototype.toString.call(artifacts.weightData)).toBe('[object ArrayBuffer]');
    expect(artifacts.weightData).not.toBe(again.weightData);
    const bytes = new Uint8Array(artifacts.weightData as ArrayBuffer).slice();
    const topology = JSON.stringify(artifacts.modelTopology);

    // Changing the model afterwards does not reach the artifacts.
    const zeros = model.weights.map((w) => tf.zeros(w.shape as number[]));
    model.setWeights(zeros);
    tf.dispose(zeros);
    expect(new Uint8Array(artifacts.weightData as ArrayBuffer)).toEqual(bytes);

    // Loading twice from the same artifacts works and leaves them as they were.
    const a = await modelFromArtifacts(artifacts);
    const b = await modelFromArtifacts(artifacts);
    expect(predictionOf(a)).toEqual(predictionOf(b));
    expect(new Uint8Array(artifacts.weightData as ArrayBuffer)).toEqual(bytes);
    expect(JSON.stringify(artifacts.modelTopology)).toBe(topology);
    a.dispose();
    b.dispose();
    model.dispose();
  });

  it('accepts sharded weight data (an array of ArrayBuffers)', async () => {
    const model = convBnDenseModel();
    const artifacts = await modelToArtifacts(model);
    const data = artifacts.weightData as ArrayBuffer;
    const cut = 40;
    const copy = await modelFromArtifacts({ ...artifacts, weightData: [data.slice(0, cut), data.slice(cut)] });
    expect(predictionOf(copy)).toEqual(predictionOf(model));
    copy.dispose();
    model.dispose();
  });

  it('refuses bad artifacts with a PruneError and leaves no tensor behind', async () => {
    const model = convBnDenseModel();
    const artifacts = await modelToArtifacts(model);
    const before = tf.memory().numTensors;
    const data = artifacts.weightData as ArrayBuffer;
    await expectPruneErrorAsync(() => modelFromArtifacts({ ...artifacts, weightData: data.slice(0, 100) }), 'CHECKPOINT_INVALID', 'artifacts.weightData has 100 bytes');
    await expectPruneErrorAsync(() => modelFromArtifacts({ ...artifacts, weightData: undefined }), 'CHECKPOINT_INVALID', 'artifacts.weightData is missing');
    await expectPruneErrorAsync(() => modelFromArtifacts({ ...artifacts, modelTopology: new ArrayBuffer(8) }), 'CHECKPOINT_INVALID', 'binary');
    // Specs renamed: the sizes match but the names do not.
    const renamed = artifacts.weightSpecs!.map((s) => ({ ...s, name: `x_${s.name}` }));
    await expectPruneErrorAsync(() => modelFromArtifacts({ ...artifacts, weightSpecs: renamed }), 'CHECKPOINT_INVALID', 'do not fit');
    const topology = JSON.parse(JSON.stringify(artifacts.modelTopology).replace('"class_name":"ReLU"', '"class_name":"NoSuchLayer"'));
    await expectPruneErrorAsync(() => modelFromArtifacts({ ...artifacts, modelTopology: topology }), 'UNREGISTERED_LAYER', 'NoSuchLayer', 'registerClass');
    expect(tf.memory().numTensors).toBe(before);
    await expectPruneErrorAsync(() => modelToArtifacts({} as tf.LayersModel), 'NOT_A_LAYERS_MODEL');
    model.dispose();
  });
});
