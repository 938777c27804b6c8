import * as tf from '@tensorflow/tfjs';
import { pruneIteratively } from '../../src/prune-iteratively';
import type { PruneIterativelyOptions } from '../../src/loop/loop-config';
import { anyOf } from '../../src/stopping/any-of';
import { maxSteps } from '../../src/stopping/max-steps';
import { targetFlops } from '../../src/stopping/target-flops';
import { targetParams } from '../../src/stopping/target-params';
import { countFlops } from '../../src/metrics/count-flops';
import { countParams } from '../../src/metrics/count-params';
import { mlp, pretrain, task } from './fixtures';

jest.setTimeout(60000);

// mlp [16, 12]: Dense 8 -> 16 -> 12 -> 3. With widths a (h1) and b (h2):
//   MACs   = 8a + ab + 3b        (356 at 16/12): one h1 unit costs 8 + b, one h2 unit a + 3.
//   params = 9a + (a + 1)b + 3b + 3 (387): one h1 unit costs 9 + b, one h2 unit a + 4.
const macs = (a: number, b: number) => 8 * a + a * b + 3 * b;
const params = (a: number, b: number) => 9 * a + (a + 1) * b + 3 * b + 3;

describe('a step that would cross a cost target removes only what reaching it needs', () => {
  let data: ReturnType<typeof task>;
  let model: tf.Sequential;
  let compile: PruneIterativelyOptions['compile'];
  beforeAll(async () => {
    data = task();
    model = mlp();
    await pretrain(model, data.xTrain, data.yTrain);
    compile = { optimizer: () => tf.train.adam(0.003), loss: 'categoricalCrossentropy', metrics: ['accuracy'] };
  });
  afterAll(() => {
    model.dispose();
    tf.dispose(data);
  });
  const d = () => ({ train: { x: data.xTrain, y: data.yTrain }, validation: { x: data.xVal, y: data.yVal } });

  test('hand-computed costs hold', () => {
    expect(countFlops(model).total).toBe(macs(16, 12));
    expect(countParams(model).total).toBe(params(16, 12));
  });

  test.each([
    ['targetFlops(0.5)', () => targetFlops(0.5), 'flops', macs],
    ['anyOf(targetFlops(0.5), maxSteps(5))', () => anyOf(targetFlops(0.5), maxSteps(5)), 'flops', macs],
    ['targetParams(0.4)', () => targetParams(0.4), 'params', params],
  ] as const)('%s: one step of 20 channels lands within one channel of the target', async (_, stop, key, cost) => {
    const tensors = tf.memory().numTensors;
    const policy = stop();
    const ratio = key === 'flops' ? 0.5 : 0.4;
    const { model: small, report } = await pruneIteratively(model, d(), { compile, stop: policy, schedule: { channelsPerStep: 20 }, fineTune: { steps: 2, batchSize: 32 } });
    const json = report.toJSON();
    expect(json.steps).toHaveLength(1);
    const a = json.steps[0].channels.h1;
    const b = json.steps[0].channels.h2;
    const limit = ratio * cost(16, 12);
    expect(json.final[key]).toBe(cost(a, b));
    expect(json.final[key]).toBeLessThanOrEqual(limit);
    // Fewer than the 20 asked, and within one unit's cost of the target: the model with one more
    // unit (of the dearer kind) would be above it.
    const removed = 28 - a - b;
    expect(removed).toBeLessThan(20);
    const oneMore = Math.max(a < 16 ? cost(a + 1, b) : 0, b < 12 ? cost(a, b + 1) : 0);
    expect(oneMore).toBeGreaterThan(limit);
    small.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });

  test('without a cost target the step removes all it was asked to', async () => {
    const { model: small, report } = await pruneIteratively(model, d(), { compile, stop: maxSteps(1), schedule: { channelsPerStep: 20 }, fineTune: { steps: 2, batchSize: 32 } });
    const w = report.toJSON().steps[0].channels;
    expect(28 - w.h1 - w.h2).toBe(20);
    small.dispose();
  });
});
