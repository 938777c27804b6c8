import * as tf from '@tensorflow/tfjs';
import { criteria } from '../../src/criteria/criteria';
import type { Criterion } from '../../src/criteria/criterion';
import { degenerateScores } from '../../src/criteria/degenerate-scores';
import { distill } from '../../src/finetune/fine-tune-options';
import { pruneIteratively } from '../../src/prune-iteratively';
import { createPruner } from '../../src/pruner';
import { maxSteps } from '../../src/stopping/max-steps';
import { expectPruneErrorAsync } from '../helpers/expect-prune-error';
import { images, srStandIn } from '../loop/stand-in-models';

const f = (...v: number[]) => Float32Array.from(v);

/** The SR stand-in with a classifier head: global pool and softmax over its 3 outputs. */
function classifier(): tf.LayersModel {
  const sr = srStandIn({ fixed: [6, 6] });
  const pooled = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(sr.outputs[0]) as tf.SymbolicTensor;
  const probs = tf.layers.softmax({ name: 'probs' }).apply(pooled) as tf.SymbolicTensor;
  return tf.model({ inputs: sr.inputs, outputs: probs });
}

describe('degenerate scores', () => {
  test('degenerateScores: all zero, or equal within every group; one-channel groups do not count', () => {
    expect(degenerateScores({ a: f(0, 0, 0), b: f(0, 0) })).toBe('all 5 channel scores are 0');
    expect(degenerateScores({ a: f(2, 2, 2), b: f(0.5, 0.5) })).toBe('the 5 channel scores are equal within every group');
    expect(degenerateScores({ a: f(1, 1 + 1e-9), b: f(3, 3) })).toBe('the 4 channel scores are equal within every group');
    expect(degenerateScores({ a: f(0, 0, 0), b: f(0, 1e-3) })).toBeNull();
    expect(degenerateScores({ a: f(0, 0), one: f(7) })).toBe('all 2 channel scores are 0');
    expect(degenerateScores({ one: f(7), two: f(3) })).toBe('the 2 channel scores are equal within every group');
    expect(degenerateScores({})).toBeNull();
  });

  test("createPruner refuses Taylor scores on the model's own outputs (zero gradient), for a regressor and a classifier", async () => {
    for (const [model, loss] of [[srStandIn(), 'meanSquaredError'], [classifier(), 'categoricalCrossentropy']] as const) {
      const x = images(8, 6, 6);
      const own = model.predict(x) as tf.Tensor;
      const tensors = tf.memory().numTensors;
      const pruner = createPruner(model, { criterion: criteria.taylor(), data: { x, y: own }, loss, schedule: { channelsPerStep: 2 } });
      await expectPruneErrorAsync(() => pruner.step(), 'DEGENERATE_SCORES', "Criterion 'taylor' cannot rank", "model's own outputs", 'criteria.activationStd()');
      expect(tf.memory().numTensors).toBe(tensors);
      // Labels that are not its outputs: Taylor ranks.
      const other = tf.tidy(() => own.add(tf.randomNormal(own.shape, 0, 0.5, 'float32', 3)).abs());
      const step = await createPruner(model, { criterion: criteria.taylor(), data: { x, y: other }, loss, schedule: { channelsPerStep: 2 } }).step();
      expect(Object.values(step.removedPerGroup).reduce((a, b) => a + b, 0)).toBe(2);
      step.model!.dispose();
      tf.dispose([x, own, other]);
      model.dispose();
    }
  });

  test('createPruner refuses a criterion whose scores are all equal', async () => {
    const model = srStandIn();
    const flat: Criterion = { name: 'flat', needs: [], score: (input) => Object.fromEntries(input.groups.map((g) => [g.id, new Float32Array(g.size)])) };
    await expectPruneErrorAsync(() => createPruner(model, { criterion: flat }).step(), 'DEGENERATE_SCORES', "Criterion 'flat'", 'all 12 channel scores are 0');
    model.dispose();
  });

  test('the loop ranks by obs instead, loudly, and defaults to it without labels', async () => {
    const model = srStandIn();
    const x = images(16, 6, 6);
    const own = model.predict(x) as tf.Tensor;
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const options = { compile: { optimizer: () => tf.train.sgd(1e-3), loss: 'meanSquaredError' as const }, schedule: { channelsPerStep: 3, ranking: 'global' as const }, fineTune: distill({ steps: 0 }), stop: maxSteps(2) };
    const tensors = tf.memory().numTensors;
    const { model: small, report } = await pruneIteratively(model, { train: { x }, scoring: { x, y: own } }, { ...options, criterion: criteria.taylor(), stop: maxSteps(1) });
    const json = report.toJSON();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toContain("step 1: criterion 'taylor' could not rank the channels");
    expect(json.warnings).toHaveLength(1);
    expect(json.warnings![0]).toMatch(/^step 1: criterion 'taylor' could not rank the channels \(the scoring labels are the model's own outputs.*\); ranked by 'obs' instead$/);
    // Step 1 removed what obs removes (all-zero Taylor scores would take group c1's first 3 channels).
    const reference = await createPruner(model, { criterion: criteria.obs(), data: { x }, schedule: { channelsPerStep: 3, ranking: 'global' } }).step();
    expect(json.steps[0].removedPerGroup).toEqual(reference.removedPerGroup);
    for (const conv of ['c1', 'c2', 'c3']) expect(small.getLayer(conv).getWeights()[0].arraySync()).toEqual(reference.model!.getLayer(conv).getWeights()[0].arraySync());
    expect(Array.from(reference.removals.c1 ?? [])).not.toEqual([0, 1, 2]);
    reference.model!.dispose();
    small.dispose();
    expect(tf.memory().numTensors).toBe(tensors);

    // No criterion and no labels anywhere: obs is chosen up front, and the report says why.
    const unlabeled = await pruneIteratively(model, { train: { x } }, options);
    const u = unlabeled.report.toJSON();
    expect(u.criterion).toBe('obs');
    expect(u.warnings).toEqual([expect.stringContaining("channels are ranked by 'obs' (structured OBS, no labels needed), since 'taylor' needs a loss on labels")]);
    expect(u.steps[0].removedPerGroup).toEqual(json.steps[0].removedPerGroup);
    unlabeled.model.dispose();
    warn.mockRestore();
    tf.dispose([x, own]);
    model.dispose();
  });
});
