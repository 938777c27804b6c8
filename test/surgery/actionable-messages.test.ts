import * as tf from '@tensorflow/tfjs';
import { learnToPrune } from '../../src/agent/learn-to-prune';
import { criteria } from '../../src/criteria/criteria';
import { scoreGroups } from '../../src/criteria/score-groups';
import { prune } from '../../src/surgery/prune';
import { expectPruneError, expectPruneErrorAsync } from '../helpers/expect-prune-error';
import { mlp, task } from '../loop/fixtures';

/** Messages say what is wrong and what to do about it, headed by the function the user called. */
describe('actionable messages', () => {
  let model: tf.Sequential;
  let data: ReturnType<typeof task>;
  beforeAll(() => {
    model = mlp(); // groups h1, h2 (prunable) and out (the model output: locked)
    data = task(32, 16);
  });
  afterAll(() => {
    model.dispose();
    tf.dispose(data);
  });

  test("prune: a locked group says how to go on: the plan's prunable groups, and why this one is locked", () => {
    expectPruneError(() => prune(model, { out: [0] }), 'GROUP_NOT_PRUNABLE', "Group 'out' cannot be pruned", 'model output', 'Leave it out of the plan', 'prunable groups of this model: h1, h2', 'analyze(model)');
  });

  test('scoreGroups: a locked group asked for says the same', async () => {
    await expectPruneErrorAsync(() => scoreGroups(model, criteria.l1Norm(), { groups: ['out'] }), 'GROUP_NOT_PRUNABLE', 'Leave it out', 'h1, h2');
  });

  test('a layer tfjs-prune does not know: the hint points to PrunableLayer', () => {
    const x = tf.input({ shape: [6] });
    const a = tf.layers.dense({ units: 4, name: 'a' }).apply(x) as tf.SymbolicTensor;
    const n = tf.layers.layerNormalization({ name: 'ln' }).apply(a) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 2, name: 'o' }).apply(n) as tf.SymbolicTensor;
    const m = tf.model({ inputs: x, outputs: out });
    try {
      expectPruneError(() => prune(m, { a: [0] }), 'GROUP_NOT_PRUNABLE', "'ln'", 'Leave it out of the plan', 'PrunableLayer');
    } finally {
      m.dispose();
    }
  });

  test('data without examples says what to give', async () => {
    const x = tf.zeros([0, 8]);
    const y = tf.zeros([0, 3]);
    await expectPruneErrorAsync(() => scoreGroups(model, criteria.apoz(), { data: { x, y } }), 'MISSING_DATA', 'x has 0 rows', 'Give at least one example');
    tf.dispose([x, y]);
  });

  test("learnToPrune's data errors are headed learnToPrune, not pruneIteratively", async () => {
    const wrong = tf.zeros([32, 5]);
    try {
      const err = await expectPruneErrorAsync(
        () => learnToPrune(model, { train: { x: wrong, y: data.yTrain }, validation: { x: data.xVal, y: data.yVal } }, { compile: { optimizer: 'sgd', loss: 'categoricalCrossentropy' }, b: 0.01 }),
        'DATA_MISMATCH',
        'learnToPrune: data.train',
      );
      expect(err.message).not.toContain('pruneIteratively');
    } finally {
      wrong.dispose();
    }
  });
});
