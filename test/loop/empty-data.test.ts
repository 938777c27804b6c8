import * as tf from '@tensorflow/tfjs';
import { criteria } from '../../src/criteria/criteria';
import { evaluateCriteria } from '../../src/criteria/evaluate-criteria';
import { scoreGroups } from '../../src/criteria/score-groups';
import type { DatasetBatch } from '../../src/data/data-source';
import { createPruner } from '../../src/pruner';
import { pruneIteratively } from '../../src/prune-iteratively';
import type { PruneIterativelyOptions } from '../../src/loop/loop-config';
import { maxSteps } from '../../src/stopping/max-steps';
import { expectPruneErrorAsync } from '../helpers/expect-prune-error';
import { mlp, task } from './fixtures';

jest.setTimeout(60000);

/** A batched dataset with no element, as `.filter()` or `.skip()` past its end can give. */
const empty = (): tf.data.Dataset<DatasetBatch> => tf.data.array<DatasetBatch>([]);

describe('empty data is MISSING_DATA, never scored or measured as zeros', () => {
  let data: ReturnType<typeof task>;
  let model: tf.Sequential;
  let tensors: number;
  beforeAll(() => {
    data = task(64, 32);
    model = mlp();
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
  });
  beforeEach(() => {
    tensors = tf.memory().numTensors;
  });
  afterEach(() => expect(tf.memory().numTensors).toBe(tensors));
  afterAll(() => {
    model.dispose();
    tf.dispose(data);
  });

  test('scoreGroups and evaluateCriteria with an empty dataset', async () => {
    await expectPruneErrorAsync(() => scoreGroups(model, criteria.taylor(), { data: empty() }), 'MISSING_DATA', 'scoreGroups: data', 'no examples');
    await expectPruneErrorAsync(() => scoreGroups(model, criteria.apoz(), { data: empty() }), 'MISSING_DATA', 'no examples');
    await expectPruneErrorAsync(() => scoreGroups(model, criteria.oracle(), { data: empty() }), 'MISSING_DATA', 'no examples');
    await expectPruneErrorAsync(() => evaluateCriteria(model, empty(), [criteria.l1Norm()]), 'MISSING_DATA', 'no examples');
  });

  test('a dataset of empty batches counts as empty too', async () => {
    const [xs, ys] = [tf.zeros([0, 8]), tf.zeros([0, 3])];
    const zero = tf.data.array([{ xs, ys }]);
    await expectPruneErrorAsync(() => scoreGroups(model, criteria.taylor(), { data: zero }), 'MISSING_DATA', 'no examples');
    tf.dispose([xs, ys]);
  });

  test('createPruner(...).step() removes nothing chosen on no data', async () => {
    const pruner = createPruner(model, { data: empty() });
    await expectPruneErrorAsync(() => pruner.step(), 'MISSING_DATA', 'no examples');
    expect(pruner.model).toBe(model);
  });

  describe('pruneIteratively: before any work', () => {
    const base = (): PruneIterativelyOptions => ({
      compile: { optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['accuracy'] },
      stop: maxSteps(2),
      fineTune: { steps: 2, batchSize: 16, initial: { steps: 1 } },
    });
    const train = () => ({ x: data.xTrain, y: data.yTrain });
    const validation = () => ({ x: data.xVal, y: data.yVal });

    test.each([
      ['scoring', () => ({ train: train(), validation: validation(), scoring: empty() }), 'data.scoring'],
      ['validation', () => ({ train: train(), validation: empty() }), 'data.validation'],
      ['train', () => ({ train: empty(), validation: validation() }), 'data.train'],
    ])('an empty %s dataset', async (_which, d, where) => {
      let steps = 0;
      let trained = 0;
      const options = { ...base(), onStep: () => void steps++ };
      const spy = jest.spyOn(tf.LayersModel.prototype, 'trainOnBatch').mockImplementation(async () => {
        trained++;
        return 0;
      });
      try {
        await expectPruneErrorAsync(() => pruneIteratively(model, d(), options), 'MISSING_DATA', where, 'no examples');
      } finally {
        spy.mockRestore();
      }
      expect(steps).toBe(0);
      expect(trained).toBe(0); // refused before the initial fine-tune
    });

    test('an empty validation dataset with a weight criterion and no initial fine-tune is not "diverged"', async () => {
      await expectPruneErrorAsync(
        () => pruneIteratively(model, { train: train(), validation: empty() }, { ...base(), criterion: criteria.l1Norm(), fineTune: { steps: 1 } }),
        'MISSING_DATA',
        'data.validation',
      );
    });
  });
});
