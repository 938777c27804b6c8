import * as tf from '@tensorflow/tfjs';
import { criteria } from '../../src/criteria/criteria';
import { scoreGroups } from '../../src/criteria/score-groups';
import type { DatasetBatch } from '../../src/data/data-source';
import { pruneIteratively } from '../../src/prune-iteratively';
import { maxSteps } from '../../src/stopping/max-steps';
import { mlp, pretrain, task } from './fixtures';

jest.setTimeout(60000);

/**
 * Long loops yield to the event loop between minibatches, so a timer (an abort, a progress bar, a
 * browser's repaint) runs during the work, not after it. Counts, never times: how many minibatches
 * ran after a timer was set, out of how many the loop would run without yielding.
 */
describe('long loops yield to the event loop', () => {
  let data: ReturnType<typeof task>;
  let model: tf.Sequential;
  beforeAll(async () => {
    data = task(256, 64);
    model = mlp();
    await pretrain(model, data.xTrain, data.yTrain, 2);
  });
  afterAll(() => {
    model.dispose();
    tf.dispose(data);
  });

  test('an abort from setTimeout lands within a few minibatches of fine-tuning, not after the run', async () => {
    const controller = new AbortController();
    const original = tf.LayersModel.prototype.trainOnBatch;
    let trained = 0;
    let atAbort = -1;
    const spy = jest.spyOn(tf.LayersModel.prototype, 'trainOnBatch').mockImplementation(function (this: tf.LayersModel, ...args) {
      trained++;
      if (trained === 3) {
        setTimeout(() => {
          atAbort = trained;
          controller.abort();
        }, 0);
      }
      return original.apply(this, args);
    });
    try {
      const { model: result, report } = await pruneIteratively(model, { train: { x: data.xTrain, y: data.yTrain } }, {
        compile: { optimizer: () => tf.train.sgd(0.01), loss: 'categoricalCrossentropy' },
        criterion: criteria.l1Norm(),
        schedule: { channelsPerStep: 2 },
        fineTune: { steps: 200, batchSize: 8, recalibrateBatchNorm: 0 },
        stop: maxSteps(1),
        signal: controller.signal,
      });
      expect(report.toJSON().stoppedBy).toBe('aborted');
      result.dispose();
    } finally {
      spy.mockRestore();
    }
    expect(atAbort).toBeGreaterThanOrEqual(3);
    // The timer ran during the fine-tune (one minibatch per event-loop turn, a timer is due within
    // a few), and the loop stopped at its next check: far fewer than the 200 minibatches asked for.
    expect(atAbort).toBeLessThanOrEqual(10);
    expect(trained).toBe(atAbort);
  });

  test('scoring: a timer runs while the scoring batches are read, not after scoreGroups resolves', async () => {
    let drawn = 0;
    const { xVal, yVal } = data;
    const ds = tf.data.generator<DatasetBatch>(function* () {
      for (let i = 0; i < 32; i++) {
        drawn++;
        yield { xs: xVal.slice(2 * i, 2), ys: yVal.slice(2 * i, 2) };
      }
    });
    let atTimer = -1;
    setTimeout(() => (atTimer = drawn), 0);
    const scores = await scoreGroups(model, criteria.taylor(), { data: ds, loss: 'categoricalCrossentropy' });
    expect(Object.keys(scores).sort()).toEqual(['h1', 'h2']);
    expect(drawn).toBe(32);
    expect(atTimer).toBeGreaterThanOrEqual(0);
    expect(atTimer).toBeLessThanOrEqual(8);
  });
});
