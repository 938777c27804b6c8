import * as tf from '@tensorflow/tfjs';
import type { Checkpoint, CheckpointStore } from '../../src/checkpoint/checkpoint-store';
import { memoryCheckpointStore } from '../../src/checkpoint/memory-checkpoint-store';
import { modelFromArtifacts } from '../../src/checkpoint/model-artifacts';
import type { DatasetBatch } from '../../src/data/data-source';
import { pruneIteratively } from '../../src/prune-iteratively';
import type { PruneIterativelyOptions } from '../../src/loop/loop-config';
import { maxSteps } from '../../src/stopping/max-steps';
import { expectPruneErrorAsync } from '../helpers/expect-prune-error';

jest.setTimeout(60000);

/**
 * Conv p -> conv c -> BN -> relu -> flatten -> dense(4, softmax), seeded. The loop prunes p only
 * (c is excluded), so bn lies downstream of p's consumer c and is re-estimated after a step
 * without training (only such BN layers are).
 */
function bnModel(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [4, 4, 2], filters: 4, kernelSize: 3, padding: 'same', name: 'p', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
      tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'c', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.batchNormalization({ name: 'bn' }),
      tf.layers.reLU({ name: 'r' }),
      tf.layers.flatten({ name: 'f' }),
      tf.layers.dense({ units: 4, activation: 'softmax', name: 'out', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
}

const finite = (m: tf.LayersModel): boolean => m.getWeights().every((w) => Array.from(w.dataSync()).every(Number.isFinite));

describe('NaN training data never reaches the BatchNorm statistics of a returned or saved model', () => {
  let model: tf.Sequential;
  let xNaN: tf.Tensor;
  let x: tf.Tensor;
  let y: tf.Tensor;
  beforeAll(() => {
    model = bnModel();
    x = tf.randomNormal([16, 4, 4, 2], 0, 1, 'float32', 3);
    xNaN = tf.fill([16, 4, 4, 2], NaN);
    y = tf.oneHot(tf.tensor1d(Array.from({ length: 16 }, (_, i) => i % 4), 'int32'), 4).toFloat();
  });
  afterAll(() => {
    model.dispose();
    tf.dispose([x, xNaN, y]);
  });
  const options = (extra: Partial<PruneIterativelyOptions> = {}): PruneIterativelyOptions => ({
    compile: { optimizer: 'sgd', loss: 'categoricalCrossentropy' },
    criterion: { name: 'first', needs: [], normalize: 'none', score: (input) => Object.fromEntries(input.groups.map((g) => [g.id, Float32Array.from({ length: g.size }, (_, i) => i)])) },
    schedule: { channelsPerStep: 1, exclude: ['c'] },
    fineTune: { steps: 0, recalibrateBatchNorm: 2 },
    stop: maxSteps(2),
    ...extra,
  });

  test('tensors with NaN inputs are INVALID_DATA before any work', async () => {
    const tensors = tf.memory().numTensors;
    await expectPruneErrorAsync(() => pruneIteratively(model, { train: { x: xNaN, y } }, options()), 'INVALID_DATA', 'data.train', 'x holds NaN or infinite values');
    const yInf = tf.tidy(() => y.mul(Infinity));
    await expectPruneErrorAsync(() => pruneIteratively(model, { train: { x, y }, validation: { x, y: yInf } }, options()), 'INVALID_DATA', 'data.validation', 'y holds');
    yInf.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });

  test('a NaN dataset (not checkable up front): the recalibration is seen as a divergence, rolled back, never saved', async () => {
    const store = memoryCheckpointStore();
    const saved: Checkpoint[] = [];
    const recording: CheckpointStore = { ...store, save: async (c) => { await store.save(c); saved.push((await store.load())!); } };
    const ds = tf.data.array<DatasetBatch>([{ xs: xNaN, ys: y }]);
    const tensors = tf.memory().numTensors;
    const { model: result, report } = await pruneIteratively(model, { train: ds }, options({ checkpoint: recording }));
    const json = report.toJSON();
    expect(json.stoppedBy).toBe('diverged');
    expect(json.steps).toHaveLength(0);
    expect(finite(result)).toBe(true);
    // The returned model is the original one: same moving statistics (0 and 1).
    expect(Array.from(result.getLayer('bn').getWeights()[2].dataSync())).toEqual([0, 0, 0, 0]);
    expect(Array.from(result.getLayer('bn').getWeights()[3].dataSync())).toEqual([1, 1, 1, 1]);
    for (const c of saved) {
      const m = await modelFromArtifacts(c.model);
      expect(finite(m)).toBe(true);
      m.dispose();
    }
    result.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });
});
