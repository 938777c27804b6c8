import * as tf from '@tensorflow/tfjs';
import { countFlops } from '../../src/metrics/count-flops';
import { measureLatency } from '../../src/metrics/measure-latency';
import { createPruner } from '../../src/pruner';
import { criteria } from '../../src/criteria/criteria';
import { expectPruneError, expectPruneErrorAsync } from '../helpers/expect-prune-error';
import { srStandIn } from '../loop/stand-in-models';

// conv 3x3 3->8, BN on 8 channels, conv 3x3 8->4 at h*w positions; conv 3x3 4->3 at 2h*2w positions.
const macsAt = (h: number, w: number): number => h * w * 9 * 3 * 8 + h * w * 8 + h * w * 9 * 8 * 4 + 4 * h * w * 9 * 4 * 3;

describe('models whose input size is not fixed', () => {
  test('countFlops counts at a given inputShape, as the same model built at that size', () => {
    const model = srStandIn();
    const fixed = srStandIn({ fixed: [16, 20] });
    const tensors = tf.memory().numTensors;
    // Without a size, nothing with a spatial extent can be counted.
    const unsized = countFlops(model);
    expect(unsized.total).toBe(0);
    expect(unsized.notCounted).toEqual(['c1', 'bn1', 'c2', 'c3']);

    const sized = countFlops(model, { inputShape: [16, 20, 3] });
    expect(sized.notCounted).toEqual([]);
    expect(sized.total).toBe(macsAt(16, 20)); // 69120 + 2560 + 92160 + 138240
    expect(sized.perLayer).toEqual(countFlops(fixed).perLayer);
    // One shape per input is accepted too.
    expect(countFlops(model, { inputShape: [[8, 8, 3]] }).total).toBe(macsAt(8, 8));
    expect(tf.memory().numTensors).toBe(tensors);
    model.dispose();
    fixed.dispose();
  });

  test('countFlops propagates the size through a nested model', () => {
    const inner = tf.sequential({
      name: 'inner',
      layers: [tf.layers.conv2d({ inputShape: [null, null, 4] as unknown as number[], filters: 5, kernelSize: 1, name: 'pw' })],
    });
    const x = tf.input({ shape: [null, null, 2] as unknown as number[] });
    const h = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', name: 'down' }).apply(x) as tf.SymbolicTensor;
    const model = tf.model({ inputs: x, outputs: inner.apply(h) as tf.SymbolicTensor });
    const r = countFlops(model, { inputShape: [10, 6, 2] });
    // 'same' stride 2: 5x3 positions; down: 15*9*2*4 = 1080; pw: 15 * 4 * 5 = 300.
    expect(r.perLayer).toEqual({ [model.layers[0].name]: 0, down: 1080, inner: 300 });
    expect(r.total).toBe(1380);
    expect(r.notCounted).toEqual([]);
    model.dispose();
  });

  test('an inputShape that does not fit the model is refused', () => {
    const model = srStandIn();
    expectPruneError(() => countFlops(model, { inputShape: [16, 16] }), 'INVALID_OPTION', 'inputShape [16,16]', "model input 'image", 'e.g. inputShape: [64, 64, 3]');
    expectPruneError(() => countFlops(model, { inputShape: [16, 16, 4] }), 'INVALID_OPTION', 'keep the sizes the model fixes');
    expectPruneError(() => countFlops(model, { inputShape: [16, 0, 3] }), 'INVALID_OPTION', 'positive whole sizes');
    expectPruneError(() => countFlops(model, { inputShape: [[8, 8, 3], [8, 8, 3]] }), 'INVALID_OPTION', 'gives 2 shape(s)', 'has 1 input(s)');
    expectPruneError(() => countFlops(model, { size: 3 } as never), 'INVALID_OPTION', 'unknown option(s) size');
    model.dispose();
  });

  test('measureLatency runs at a given inputShape, and says how to give one', async () => {
    const model = srStandIn();
    const tensors = tf.memory().numTensors;
    await expectPruneErrorAsync(() => measureLatency(model, { runs: 1, warmup: 0 }), 'MODEL_NOT_BUILT', 'measureLatency(model, { inputShape: [64, 64, 3] })');
    let shape: number[] = [];
    const predict = model.predict.bind(model);
    const spy = jest.spyOn(model, 'predict').mockImplementation((x, args) => {
      shape = (x as tf.Tensor).shape;
      return predict(x, args);
    });
    const r = await measureLatency(model, { runs: 2, warmup: 1, batchSize: 2, inputShape: [12, 10, 3] });
    spy.mockRestore();
    expect(shape).toEqual([2, 12, 10, 3]);
    expect(r.samplesMs).toHaveLength(2);
    expect(tf.memory().numTensors).toBe(tensors);
    await expectPruneErrorAsync(() => measureLatency(model, { inputShape: [12, 10, 1] }), 'INVALID_OPTION', 'keep the sizes the model fixes');
    model.dispose();
  });

  test('createPruner counts each step at its inputShape', async () => {
    const model = srStandIn();
    const pruner = createPruner(model, { criterion: criteria.l1Norm(), schedule: { channelsPerStep: 2 }, inputShape: [16, 16, 3] });
    const step = await pruner.step();
    expect(step.flops).toBe(countFlops(step.model!, { inputShape: [16, 16, 3] }).total);
    expect(step.flops).toBeGreaterThan(0);
    expect(step.flops).toBeLessThan(macsAt(16, 16));
    step.model!.dispose();
    model.dispose();
  });
});
