import * as tf from '@tensorflow/tfjs';
import { criteria } from '../../src/criteria/criteria';
import { distill } from '../../src/finetune/fine-tune-options';
import { countFlops } from '../../src/metrics/count-flops';
import { pruneIteratively } from '../../src/prune-iteratively';
import type { DatasetBatch } from '../../src/data/data-source';
import { targetFlops } from '../../src/stopping/target-flops';
import { expectPruneErrorAsync } from '../helpers/expect-prune-error';
import { images, srStandIn } from './stand-in-models';

const macsAt = (h: number, w: number): number => h * w * 9 * 3 * 8 + h * w * 8 + h * w * 9 * 8 * 4 + 4 * h * w * 9 * 4 * 3;
const compile = { optimizer: () => tf.train.sgd(1e-3), loss: 'meanSquaredError' as const };
const options = { compile, criterion: criteria.l1Norm(), schedule: { channelsPerStep: 2 }, stop: targetFlops(0.8) };

describe('pruneIteratively on a model whose input size is not fixed', () => {
  let model: tf.LayersModel;
  beforeAll(() => {
    model = srStandIn();
  });
  afterAll(() => model.dispose());

  test('measures FLOPs at the size of the validation data and reaches a FLOPs target', async () => {
    const x = images(8, 12, 12);
    const y = model.predict(x) as tf.Tensor;
    const xTrain = images(8, 6, 6, 2);
    const tensors = tf.memory().numTensors;
    const { model: small, report } = await pruneIteratively(model, { train: { x: xTrain }, validation: { x, y } }, { ...options, fineTune: distill({ steps: 0 }) });
    const json = report.toJSON();
    expect(json.inputShape).toEqual([[12, 12, 3]]);
    expect(json.baseline.flops).toBe(macsAt(12, 12));
    expect(json.stoppedBy).toBe('targetFlops(0.8)');
    expect(json.final.flops).toBe(countFlops(small, { inputShape: [12, 12, 3] }).total);
    expect(json.final.flops / json.baseline.flops).toBeLessThanOrEqual(0.8);
    json.steps.forEach((s) => expect(Number.isFinite(s.flops) && s.flops > 0).toBe(true));
    small.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    tf.dispose([x, y, xTrain]);
  });

  test('takes the size from the first element of a dataset, or from options.inputShape', async () => {
    const xs = images(8, 10, 10);
    const ds = tf.data.array([{ xs }]) as unknown as tf.data.Dataset<DatasetBatch>;
    const fromData = await pruneIteratively(model, { train: ds }, { ...options, fineTune: distill({ steps: 1 }) });
    expect(fromData.report.toJSON().baseline.flops).toBe(macsAt(10, 10));
    fromData.model.dispose();
    const given = await pruneIteratively(model, { train: ds }, { ...options, fineTune: distill({ steps: 1 }), inputShape: [20, 16, 3] });
    expect(given.report.toJSON().baseline.flops).toBe(macsAt(20, 16));
    expect(given.report.toJSON().inputShape).toEqual([[20, 16, 3]]);
    given.model.dispose();
    xs.dispose();
  });

  test('without any example to take the size from, refuses before any work', async () => {
    const empty = tf.data.array([] as DatasetBatch[]);
    const tensors = tf.memory().numTensors;
    await expectPruneErrorAsync(
      () => pruneIteratively(model, { train: empty }, { ...options, fineTune: distill({ steps: 1 }) }),
      'INVALID_OPTION',
      'no fixed size',
      'options.inputShape',
    );
    expect(tf.memory().numTensors).toBe(tensors);
    await expectPruneErrorAsync(() => pruneIteratively(model, { train: empty }, { ...options, inputShape: [4, 4] }), 'INVALID_OPTION', 'pruneIteratively: inputShape [4,4]');
  });
});
