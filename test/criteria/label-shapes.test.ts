import * as tf from '@tensorflow/tfjs';
import { criteria } from '../../src/criteria/criteria';
import { scoreGroups } from '../../src/criteria/score-groups';
import { createPruner } from '../../src/pruner';
import { pruneIteratively } from '../../src/prune-iteratively';
import { maxSteps } from '../../src/stopping/max-steps';
import { expectPruneErrorAsync } from '../helpers/expect-prune-error';
import { dataFor, smallCnn } from './models';

/** Labels that do not fit the model's output or loss are DATA_MISMATCH, before any work. */
describe('label shapes are checked against the model output and the loss', () => {
  let model: tf.Sequential;
  let x: tf.Tensor;
  let y: tf.Tensor;
  let classes: tf.Tensor1D;
  let tensors: number;
  beforeAll(() => {
    model = smallCnn(); // output [batch, 3]
    ({ x, y } = dataFor([6, 6, 2], 8));
    classes = tf.tidy(() => y.argMax(-1).toFloat()) as tf.Tensor1D;
  });
  beforeEach(() => {
    tensors = tf.memory().numTensors;
  });
  afterEach(() => expect(tf.memory().numTensors).toBe(tensors));
  afterAll(() => {
    model.dispose();
    tf.dispose([x, y, classes]);
  });
  const loss = 'categoricalCrossentropy';

  test('scoreGroups: one-hot labels of another class count, and class indices, for a categorical loss', async () => {
    const five = tf.zeros([8, 5]);
    try {
      await expectPruneErrorAsync(() => scoreGroups(model, criteria.taylor(), { data: { x, y: five }, loss }), 'DATA_MISMATCH', 'y has shape [8, 5]', "'categoricalCrossentropy'", '[8, 3]');
      await expectPruneErrorAsync(() => scoreGroups(model, criteria.taylor(), { data: { x, y: classes }, loss }), 'DATA_MISMATCH', 'y has shape [8]', 'sparseCategoricalCrossentropy');
      // A dataset's elements are checked too.
      const ds = tf.data.array([{ xs: x, ys: five }]);
      await expectPruneErrorAsync(() => scoreGroups(model, criteria.taylor(), { data: ds, loss }), 'DATA_MISMATCH', 'y has shape [8, 5]');
    } finally {
      five.dispose();
    }
  });

  test('scoreGroups: one-hot labels for a sparse loss, and a compiled loss is used for the check', async () => {
    await expectPruneErrorAsync(() => scoreGroups(model, criteria.taylor(), { data: { x, y }, loss: 'sparseCategoricalCrossentropy' }), 'DATA_MISMATCH', 'y has shape [8, 3]', 'class indices', '[8]');
    const compiled = smallCnn();
    compiled.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    try {
      await expectPruneErrorAsync(() => scoreGroups(compiled, criteria.taylor(), { data: { x, y: classes } }), 'DATA_MISMATCH', "'meanSquaredError'");
    } finally {
      compiled.dispose();
    }
  });

  test('class indices with the sparse loss give the same Taylor scores as one-hot labels with the categorical loss', async () => {
    const dense = await scoreGroups(model, criteria.taylor(), { data: { x, y }, loss });
    const sparse = await scoreGroups(model, criteria.taylor(), { data: { x, y: classes }, loss: 'sparseCategoricalCrossentropy' });
    const column = tf.tidy(() => classes.expandDims(1));
    const sparseColumn = await scoreGroups(model, criteria.taylor(), { data: { x, y: column }, loss: 'sparseCategoricalCrossentropy' });
    column.dispose();
    for (const id of Object.keys(dense)) {
      Array.from(dense[id]).forEach((v, c) => {
        expect(sparse[id][c]).toBeCloseTo(v, 5);
        expect(sparseColumn[id][c]).toBeCloseTo(v, 5);
      });
    }
  });

  test('labels are not checked when the criterion does not use them', async () => {
    const five = tf.zeros([8, 5]);
    const scores = await scoreGroups(model, criteria.apoz(), { data: { x, y: five } });
    five.dispose();
    expect(Object.keys(scores).sort()).toEqual(['c1', 'd1']);
  });

  test('createPruner and pruneIteratively', async () => {
    const five = tf.zeros([8, 5]);
    try {
      expect(() => createPruner(model, { data: { x, y: five }, loss })).toThrow(/y has shape \[8, 5\]/);
      const compile = { optimizer: 'sgd', loss, metrics: [] };
      await expectPruneErrorAsync(() => pruneIteratively(model, { train: { x, y: classes } }, { compile, stop: maxSteps(1) }), 'DATA_MISMATCH', 'data.train', 'y has shape [8]');
      await expectPruneErrorAsync(
        () => pruneIteratively(model, { train: { x, y }, validation: { x, y: five } }, { compile, stop: maxSteps(1) }),
        'DATA_MISMATCH',
        'data.validation',
        'y has shape [8, 5]',
      );
      await expectPruneErrorAsync(
        () => pruneIteratively(model, { train: { x, y }, scoring: { x, y: five } }, { compile, stop: maxSteps(1) }),
        'DATA_MISMATCH',
        'data.scoring',
      );
      // A training dataset: its first element is refused when it is drawn, before any training.
      const ds = tf.data.array([{ xs: x, ys: five }]);
      await expectPruneErrorAsync(
        () => pruneIteratively(model, { train: ds, validation: { x, y } }, { compile, stop: maxSteps(1), fineTune: { steps: 1, initial: { steps: 1 } } }),
        'DATA_MISMATCH',
        'y has shape [8, 5]',
      );
    } finally {
      five.dispose();
    }
  });
});
