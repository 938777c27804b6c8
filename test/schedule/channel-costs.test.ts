import * as tf from '@tensorflow/tfjs';
import { PruneError } from '../../src/errors';
import type { LayerLatencyResult } from '../../src/metrics/measure-layer-latency';
import { channelCosts } from '../../src/schedule/channel-costs';

// conv c (3x3, 1 -> 4, 'same', on 8x8) -> global average pool -> dense d (4) -> dense out (20).
//   MACs: c 64*9*1*4 = 2304, gap 0 (writes 4 elements), d 4*4 = 16, out 4*20 = 80; total 2400.
function net(inputShape: Array<number | null> = [8, 8, 1]): tf.LayersModel {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: s });
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape, filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c', kernelInitializer: init(1) }),
      tf.layers.globalAveragePooling2d({ name: 'gap' }),
      tf.layers.dense({ units: 4, activation: 'relu', name: 'd', kernelInitializer: init(2) }),
      tf.layers.dense({ units: 20, activation: 'softmax', name: 'out', kernelInitializer: init(3) }),
    ],
  });
}

/** A stand-in for measureLayerLatency that returns fixed per-layer times. */
const fixedTimes = (layers: Record<string, number>) => async (): Promise<LayerLatencyResult> => ({
  layers,
  totalMs: Object.values(layers).reduce((a, b) => a + b, 0),
  batchSize: 1,
  backend: tf.getBackend(),
});

const expectAll = (values: Float32Array, expected: number): void => Array.from(values).forEach((v) => expect(v).toBeCloseTo(expected, 6));

/** The shares of a result that has them. */
function sharesOf(result: Awaited<ReturnType<typeof channelCosts>>): Record<string, Float32Array> {
  if (!('costs' in result)) throw new Error(`no costs: ${result.unknown.join(', ')} unknown`);
  return result.costs;
}

describe('channelCosts', () => {
  let model: tf.LayersModel;
  beforeAll(() => {
    model = net();
  });
  afterAll(() => model.dispose());

  test("'latency' shares each layer's measured time out by the work a channel takes in it", async () => {
    // Times (ms): c 1, gap 1, d 100, out 10; total 112.
    // A channel of c saves c 1 * 576/2304 = 0.25, gap 1 * 1/4 elements = 0.25, d (reads it) 100 * 4/16 = 25: 25.5.
    // A channel of d saves d 100 * 4/16 = 25 and out (reads it) 10 * 20/80 = 2.5: 27.5.
    const costs = sharesOf(await channelCosts(model, ['c', 'd'], 'latency', undefined, fixedTimes({ c: 1, gap: 1, d: 100, out: 10 })));
    expectAll(costs.c, 25.5 / 112);
    expectAll(costs.d, 27.5 / 112);
    // By FLOPs the order is the other way round: c 580/2400, d 24/2400.
    const flops = sharesOf(await channelCosts(model, ['c', 'd'], 'flops'));
    expectAll(flops.c, 580 / 2400);
    expectAll(flops.d, 24 / 2400);
  });

  test("'latency' falls back to FLOPs when the model cannot be timed or no layer of the groups was", async () => {
    const cannot = async (): Promise<LayerLatencyResult> => {
      throw new PruneError('INVALID_OPTION', 'no input size');
    };
    for (const measure of [cannot, fixedTimes({ other: 5 })]) {
      const costs = sharesOf(await channelCosts(model, ['c', 'd'], 'latency', undefined, measure));
      expectAll(costs.c, 580 / 2400);
      expectAll(costs.d, 24 / 2400);
    }
    // Any other failure is not hidden.
    const broken = async (): Promise<LayerLatencyResult> => {
      throw new Error('backend lost');
    };
    await expect(channelCosts(model, ['c'], 'latency', undefined, broken)).rejects.toThrow('backend lost');
  });

  test('a model whose input size is not fixed is costed at the given inputShape (refused without one)', async () => {
    const dynamic = net([null, null, 1]);
    try {
      // At 8x8 the shares are those of the fixed model.
      const at = sharesOf(await channelCosts(dynamic, ['c', 'd'], 'flops', [[8, 8, 1]]));
      expectAll(at.c, 580 / 2400);
      expectAll(at.d, 24 / 2400);
      // At 4x4: c 16*9*4 = 576 MACs, total 576 + 16 + 80 = 672; a channel of c saves 144 + 4.
      const small = sharesOf(await channelCosts(dynamic, ['c'], 'flops', [[4, 4, 1]]));
      expectAll(small.c, 148 / 672);
      // Without one, c's MACs are unknown: no costs (d's alone would make c's channels look cheap).
      expect(await channelCosts(dynamic, ['c', 'd'], 'flops')).toEqual({ unknown: ['c'] });
      expect(await channelCosts(dynamic, ['d'], 'flops')).toEqual({ costs: { d: expect.any(Float32Array) } });
    } finally {
      dynamic.dispose();
    }
  });
});
