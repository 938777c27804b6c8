import * as tf from '@tensorflow/tfjs';
import { criteria } from '../../src/criteria/criteria';
import { scoreGroups } from '../../src/criteria/score-groups';
import { copyBackUnscaled, unscaledBatchNorms, withBatchNormScale } from '../../src/model/batch-norm-scale';
import { pruneIteratively } from '../../src/prune-iteratively';
import { createPruner } from '../../src/pruner';
import { maxSteps } from '../../src/stopping/max-steps';
import { expectClose } from '../helpers/expect-close';
import { expectPruneError } from '../helpers/expect-prune-error';
import { weightsOf } from '../loop/fixtures';
import { images, srStandIn } from '../loop/stand-in-models';

/** A BN with non-trivial statistics, so that folding a gamma into them is visible. */
function setStatistics(model: tf.LayersModel, layer: string): void {
  const bn = model.getLayer(layer);
  const values = bn.weights.map((w, i) => tf.randomUniform(w.shape as number[], 0.5, 2, 'float32', 10 + i));
  bn.setWeights(values);
  tf.dispose(values);
}

describe('BatchNormalization with scale: false (TF.js cannot train through it)', () => {
  test('Taylor scores of a scale: false model equal those of the same model with gamma = 1', async () => {
    const unscaled = srStandIn({ scale: false, fixed: [6, 6] });
    const scaled = srStandIn({ scale: true, fixed: [6, 6] }); // same seeds: same weights, gamma 1
    expect(unscaledBatchNorms(unscaled)).toEqual(['bn1']);
    expect(unscaledBatchNorms(scaled)).toEqual([]);
    const x = images(8, 6, 6);
    const y = tf.randomNormal([8, 12, 12, 3], 0, 1, 'float32', 4);
    const tensors = tf.memory().numTensors;
    const got = await scoreGroups(unscaled, criteria.taylor(), { data: { x, y }, loss: 'meanSquaredError' });
    expect(tf.memory().numTensors).toBe(tensors);
    const want = await scoreGroups(scaled, criteria.taylor(), { data: { x, y }, loss: 'meanSquaredError' });
    expect(Object.keys(got)).toEqual(['c1', 'c2']);
    for (const id of Object.keys(want)) expect(Array.from(got[id])).toEqual(Array.from(want[id]));
    // The stepper too (it scores with the compiled loss of the input model).
    unscaled.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const step = await createPruner(unscaled, { data: { x, y }, schedule: { channelsPerStep: 2 } }).step();
    expect(step.model!.getLayer('bn1').getConfig().scale).toBe(false);
    step.model!.dispose();
    tf.dispose([x, y]);
    [unscaled, scaled].forEach((m) => m.dispose());
  });

  test('withBatchNormScale gives equal outputs with a frozen gamma; copyBackUnscaled folds a positive gamma', () => {
    const model = srStandIn({ scale: false, fixed: [6, 6] });
    setStatistics(model, 'bn1');
    const x = images(4, 6, 6);
    const scaled = withBatchNormScale(model, ['bn1']);
    expect(scaled.getLayer('bn1').getConfig().scale).toBe(true);
    expect(scaled.trainableWeights.map((w) => w.name).some((n) => n.includes('gamma'))).toBe(false);
    expectClose(scaled.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor, 1e-6);
    // A trained copy: new beta, and a gamma of 1.5 (a custom fine-tune that unfroze it). A frozen
    // gamma is listed after the trainable beta: set weights by name.
    const bn = scaled.getLayer('bn1');
    const byName = (values: Record<string, tf.Tensor>): tf.Tensor[] => bn.weights.map((w) => values[w.name.split('/').pop()!.replace(/_\d+$/, '')]);
    const [beta, mean, variance] = ['beta', 'moving_mean', 'moving_variance'].map((n) => bn.getWeights()[bn.weights.findIndex((w) => w.name.includes(n))]);
    const changed = [tf.fill([8], 1.5), beta.add(0.25), tf.fill([8], -1)];
    bn.setWeights(byName({ gamma: changed[0], beta: changed[1], moving_mean: mean, moving_variance: variance }));
    const target = srStandIn({ scale: false, fixed: [6, 6] });
    copyBackUnscaled(scaled, target, ['bn1']);
    expect(target.getLayer('bn1').getWeights()).toHaveLength(3);
    expectClose(target.predict(x) as tf.Tensor, scaled.predict(x) as tf.Tensor, 1e-4);
    // A gamma <= 0 cannot be folded: refused, the target unchanged.
    const before = weightsOf(target);
    bn.setWeights(byName({ gamma: changed[2], beta: changed[1], moving_mean: mean, moving_variance: variance }));
    expectPruneError(() => copyBackUnscaled(scaled, target, ['bn1']), 'INVALID_OPTION', "'bn1'", 'gamma) <= 0');
    expect(weightsOf(target)).toEqual(before);
    tf.dispose(changed);
    [scaled, target].forEach((m) => m.dispose());
    tf.dispose(x);
    model.dispose();
  });

  test('pruneIteratively trains a scale: false model (built-in and custom fine-tuning) and returns it with scale: false', async () => {
    const model = srStandIn({ scale: false, fixed: [6, 6] });
    const original = weightsOf(model);
    const x = images(16, 6, 6);
    const y = tf.randomNormal([16, 12, 12, 3], 0, 1, 'float32', 4);
    const tensors = tf.memory().numTensors;
    const common = { compile: { optimizer: () => tf.train.sgd(0.05), loss: 'meanSquaredError' as const }, schedule: { channelsPerStep: 1 }, stop: maxSteps(1) };
    const { model: small, report } = await pruneIteratively(model, { train: { x, y }, validation: { x, y } }, { ...common, fineTune: { steps: 4, batchSize: 8 } });
    const step = report.toJSON().steps[0];
    expect(step.metricsAfterFineTune.loss).toBeLessThan(step.metricsBeforeFineTune.loss);
    expect(small.getLayer('bn1').getConfig().scale).toBe(false);
    expect(small.getLayer('bn1').getWeights()).toHaveLength(3);
    expect(tf.tidy(() => (small.predict(x) as tf.Tensor).isNaN().any().dataSync()[0])).toBe(0);
    small.dispose();

    let seen = '';
    const custom = await pruneIteratively(model, { train: { x, y } }, {
      ...common,
      fineTune: async (m) => {
        seen = String(m.getLayer('bn1').getConfig().scale);
        await m.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
      },
    });
    expect(seen).toBe('true'); // the function trains the copy with a (frozen) gamma
    expect(custom.model.getLayer('bn1').getConfig().scale).toBe(false);
    custom.model.dispose();
    expect(weightsOf(model)).toEqual(original);
    expect(tf.memory().numTensors).toBe(tensors);
    tf.dispose([x, y]);
    model.dispose();
  });
});
