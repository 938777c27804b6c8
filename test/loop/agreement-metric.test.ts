import * as tf from '@tensorflow/tfjs';
import { criteria } from '../../src/criteria/criteria';
import { distill } from '../../src/finetune/fine-tune-options';
import { pruneIteratively } from '../../src/prune-iteratively';
import { anyOf } from '../../src/stopping/any-of';
import { maxMetricDrop } from '../../src/stopping/max-metric-drop';
import { maxSteps } from '../../src/stopping/max-steps';
import { expectPruneErrorAsync } from '../helpers/expect-prune-error';
import { images, srStandIn } from './stand-in-models';

/** A small image classifier: conv 8 -> relu -> conv 6 -> relu -> global pool -> dense 4 (softmax). */
function classifier(): tf.LayersModel {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: s });
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [6, 6, 3], filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c1', kernelInitializer: init(1) }),
      tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c2', kernelInitializer: init(2) }),
      tf.layers.globalAveragePooling2d({ name: 'gap' }),
      tf.layers.dense({ units: 4, activation: 'softmax', name: 'out', kernelInitializer: init(3) }),
    ],
  });
}

/** Share of examples whose arg-max class is the same for both models (independent of the library). */
function agreementOf(a: tf.LayersModel, b: tf.LayersModel, x: tf.Tensor): number {
  return tf.tidy(() => (a.predict(x) as tf.Tensor).argMax(-1).equal((b.predict(x) as tf.Tensor).argMax(-1)).toFloat().mean().dataSync()[0]);
}

describe('validation without labels: agreement with the original model', () => {
  test('a classifier reports agreement (higher is better), and a bound on it rolls back', async () => {
    const model = classifier();
    const xTrain = images(32, 6, 6, 1);
    const xVal = images(64, 6, 6, 2);
    const tensors = tf.memory().numTensors;
    const { model: small, report } = await pruneIteratively(model, { train: { x: xTrain }, validation: { x: xVal } }, {
      compile: { optimizer: () => tf.train.adam(1e-3), loss: 'categoricalCrossentropy' },
      criterion: criteria.l1Norm(),
      schedule: { channelsPerStep: 2 },
      fineTune: distill({ steps: 4, batchSize: 16 }),
      stop: anyOf(maxSteps(5), maxMetricDrop('agreement', 0.02)),
    });
    const json = report.toJSON();
    expect(json.metricDirections).toEqual({ agreement: 'higher' });
    expect(json.baseline.metrics).toEqual({ agreement: 1 });
    // The returned model's agreement, measured independently, is what the report says.
    expect(json.final.metrics.agreement).toBeCloseTo(agreementOf(small, model, xVal), 6);
    expect(json.final.metrics.agreement).toBeGreaterThanOrEqual(0.98 - 1e-9);
    // Step 3 (seeded) drops agreement below 0.98: the run stops and returns step 2.
    const broke = json.steps.findIndex((st) => st.metricsAfterFineTune.agreement! < 0.98 - 1e-9) + 1;
    expect(broke).toBe(json.steps.length);
    expect(json.stoppedBy).toBe('maxMetricDrop(agreement, 0.02)');
    expect(json.rolledBackTo?.step).toBe(broke - 1);
    // Every step was measured on the held-out images.
    json.steps.forEach((s) => expect(Object.keys(s.metricsAfterFineTune)).toEqual(['agreement']));
    small.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    tf.dispose([xTrain, xVal]);
    model.dispose();
  });

  test('a regressor reports outputMse (lower is better) against the original outputs', async () => {
    const model = srStandIn({ fixed: [6, 6] });
    const x = images(16, 6, 6, 3);
    const { model: small, report } = await pruneIteratively(model, { train: { x }, validation: { x } }, {
      compile: { optimizer: () => tf.train.sgd(1e-2), loss: 'meanSquaredError' },
      criterion: criteria.l1Norm(),
      schedule: { channelsPerStep: 2 },
      fineTune: distill({ steps: 2, batchSize: 8 }),
      stop: maxSteps(1),
    });
    const json = report.toJSON();
    expect(json.metricDirections).toEqual({ outputMse: 'lower' });
    expect(json.baseline.metrics).toEqual({ outputMse: 0 });
    const mse = tf.tidy(() => (small.predict(x) as tf.Tensor).sub(model.predict(x) as tf.Tensor).square().mean().dataSync()[0]);
    // Equal up to float32 rounding of the two sums (relative, not absolute: 5e-8 is 2e-6 of 0.027).
    expect(Math.abs(json.final.metrics.outputMse - mse) / mse).toBeLessThan(1e-5);
    expect(mse).toBeGreaterThan(0);
    small.dispose();
    tf.dispose(x);
    model.dispose();
  });

  test('a bound on a metric that needs labels is refused up front', async () => {
    const model = classifier();
    const x = images(8, 6, 6);
    await expectPruneErrorAsync(
      () => pruneIteratively(model, { train: { x }, validation: { x } }, { compile: { optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['accuracy'] }, fineTune: distill(), stop: maxMetricDrop('accuracy', 0.01) }),
      'INVALID_OPTION',
      "uses metric 'accuracy', which is not measured; measured: agreement",
      'data.validation has no labels',
    );
    await expectPruneErrorAsync(
      () => pruneIteratively(model, { train: { x }, validation: { x } }, { compile: { optimizer: 'sgd', loss: 'categoricalCrossentropy' }, criterion: criteria.taylor(), fineTune: distill(), stop: maxSteps(1) }),
      'MISSING_DATA',
      "criterion 'taylor' needs labelled scoring data",
    );
    tf.dispose(x);
    model.dispose();
  });
});
