import * as tf from '@tensorflow/tfjs';
import { recalibrateBatchNorm } from '../../src/finetune/recalibrate-batch-norm';
import { TrainingStream } from '../../src/finetune/training-stream';
import { pruneIteratively } from '../../src/prune-iteratively';
import { maxSteps } from '../../src/stopping/max-steps';

function bnModel(): tf.Sequential {
  const m = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [5, 5, 2], filters: 3, kernelSize: 3, padding: 'same', name: 'c', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.batchNormalization({ name: 'bn', movingMeanInitializer: tf.initializers.constant({ value: 5 }), movingVarianceInitializer: tf.initializers.constant({ value: 9 }) }),
      tf.layers.reLU({ name: 'r' }),
      tf.layers.flatten({ name: 'f' }),
      tf.layers.dense({ units: 2, activation: 'softmax', name: 'out', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
  return m;
}

describe('recalibrateBatchNorm', () => {
  test('sets the moving statistics to the mean of the batch moments of the BN input', async () => {
    const model = bnModel();
    const x = tf.randomNormal([8, 5, 5, 2], 1, 2, 'float32', 3);
    const y = tf.oneHot(tf.tensor1d([0, 1, 0, 1, 1, 0, 0, 1], 'int32'), 2).toFloat();
    // The stream's order for seed 0 and batches of 4: two batches; compute the expected moments by hand.
    const order = new TrainingStream(model, { x, y }, 4, 0, true);
    const expected = { mean: [0, 0, 0], variance: [0, 0, 0] };
    for (let b = 0; b < 2; b++) {
      const batch = (await order.next())!;
      tf.tidy(() => {
        const z = model.getLayer('c').apply(batch.x[0]) as tf.Tensor;
        const { mean, variance } = tf.moments(z, [0, 1, 2]);
        mean.dataSync().forEach((v, c) => (expected.mean[c] += v / 2));
        variance.dataSync().forEach((v, c) => (expected.variance[c] += v / 2));
      });
      tf.dispose([...batch.x, ...batch.y!]);
    }
    const tensors = tf.memory().numTensors;
    const stream = new TrainingStream(model, { x, y }, 4, 0, true);
    expect(await recalibrateBatchNorm(model, stream, 2)).toBe(1);
    expect(tf.memory().numTensors).toBe(tensors);
    const [, , movingMean, movingVariance] = model.getLayer('bn').getWeights();
    movingMean.dataSync().forEach((v, c) => expect(v).toBeCloseTo(expected.mean[c], 5));
    movingVariance.dataSync().forEach((v, c) => expect(v).toBeCloseTo(expected.variance[c], 5));
    // gamma and beta are unchanged.
    expect(Array.from(model.getLayer('bn').getWeights()[0].dataSync())).toEqual([1, 1, 1]);
    tf.dispose([x, y]);
    model.dispose();
  });

  test('in the loop: a pruning step without fine-tuning leaves a BN the surgery did not change (and 0 turns it off)', async () => {
    const model = bnModel();
    const x = tf.randomNormal([16, 5, 5, 2], 1, 2, 'float32', 4);
    const y = tf.oneHot(tf.tensor1d(Array.from({ length: 16 }, (_, i) => i % 2), 'int32'), 2).toFloat();
    const run = (recalibrate: number) =>
      pruneIteratively(model, { train: { x, y }, validation: { x, y } }, {
        compile: { optimizer: 'sgd', loss: 'categoricalCrossentropy' },
        criterion: { name: 'first', needs: [], normalize: 'none', score: (input) => Object.fromEntries(input.groups.map((g) => [g.id, Float32Array.from({ length: g.size }, (_, i) => i)])) },
        schedule: { channelsPerStep: 1 },
        fineTune: { steps: 0, recalibrateBatchNorm: recalibrate },
        stop: maxSteps(1),
      });
    const off = await run(0);
    const on = await run(2);
    // 'bn' passes group 'c' through: removing channel 0 leaves the other channels' inputs as they
    // were, so its statistics (5 and 9) are only sliced, with or without the re-estimation.
    expect(Array.from(off.model.getLayer('bn').getWeights()[2].dataSync())).toEqual([5, 5]);
    expect(Array.from(on.model.getLayer('bn').getWeights()[2].dataSync())).toEqual([5, 5]);
    expect(on.report.toJSON().steps[0].batchNorm).toBeUndefined();
    expect(off.report.toJSON().steps[0].metricsAfterFineTune).toEqual(off.report.toJSON().steps[0].metricsBeforeFineTune);
    [off.model, on.model, model].forEach((m) => m.dispose());
    tf.dispose([x, y]);
  });
});
