import * as tf from '@tensorflow/tfjs';
import { criteria } from '../../src/criteria/criteria';
import { evaluateCriteria } from '../../src/criteria/evaluate-criteria';
import { scoreGroups } from '../../src/criteria/score-groups';
import { expectPruneErrorAsync } from '../helpers/expect-prune-error';
import { dataFor, smallCnn } from './models';

describe('unknown option keys are refused, as every other entry point does', () => {
  let model: tf.Sequential;
  let x: tf.Tensor;
  let y: tf.Tensor;
  beforeAll(() => {
    model = smallCnn();
    ({ x, y } = dataFor([6, 6, 2], 4));
  });
  afterAll(() => {
    model.dispose();
    tf.dispose([x, y]);
  });

  test('scoreGroups: a misspelt batchSize', async () => {
    const tensors = tf.memory().numTensors;
    const options = { data: { x, y }, loss: 'categoricalCrossentropy', batchsize: 8 } as never;
    const err = await expectPruneErrorAsync(() => scoreGroups(model, criteria.taylor(), options), 'INVALID_OPTION', 'unknown option(s) batchsize', 'batchSize');
    expect(err.message).toContain('known options: data, groups, loss, batchSize, penaltyCost');
    expect(tf.memory().numTensors).toBe(tensors);
  });

  test('evaluateCriteria: an option of scoreGroups it does not take', async () => {
    const tensors = tf.memory().numTensors;
    const options = { loss: 'categoricalCrossentropy', penaltyCost: 'params' } as never;
    await expectPruneErrorAsync(() => evaluateCriteria(model, { x, y }, [criteria.l1Norm()], options), 'INVALID_OPTION', 'unknown option(s) penaltyCost', 'oracle, loss, batchSize, groups');
    expect(tf.memory().numTensors).toBe(tensors);
  });
});
