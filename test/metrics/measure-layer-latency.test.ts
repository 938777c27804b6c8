import * as tf from '@tensorflow/tfjs';
import { measureLayerLatency } from '../../src/index';
import { expectPruneErrorAsync } from '../helpers/expect-prune-error';

function net(inputShape: Array<number | null> = [6, 6, 2]): tf.LayersModel {
  const input = tf.input({ shape: inputShape, name: 'x' });
  const a = tf.layers.conv2d({ name: 'a', filters: 3, kernelSize: 3, padding: 'same' }).apply(input) as tf.SymbolicTensor;
  const b = tf.layers.depthwiseConv2d({ name: 'b', kernelSize: 3, padding: 'same' }).apply(a) as tf.SymbolicTensor;
  const sum = tf.layers.add({ name: 'sum' }).apply([a, b]) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(sum) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: tf.layers.dense({ name: 'out', units: 2 }).apply(pooled) as tf.SymbolicTensor });
}

describe('measureLayerLatency', () => {
  test('calls every layer warmup + runs times on inputs of the shapes it sees, and keeps each median', async () => {
    const model = net();
    const weights = model.getWeights().map((w) => w.arraySync());
    const seen: Record<string, number[][][]> = {};
    // A fake clock that only the layers move: call k (0-4) of the i-th layer applied lasts 10(i + 1) + k ms.
    let clock = 0;
    for (const layer of model.layers.slice(1)) {
      const apply = layer.apply.bind(layer);
      jest.spyOn(layer, 'apply').mockImplementation((inputs, kwargs) => {
        const list = (Array.isArray(inputs) ? inputs : [inputs]) as tf.Tensor[];
        (seen[layer.name] ??= []).push(list.map((t) => t.shape));
        const i = Object.keys(seen).indexOf(layer.name);
        clock += 10 * (i + 1) + seen[layer.name].length - 1;
        return apply(inputs, kwargs);
      });
    }
    const now = jest.spyOn(performance, 'now').mockImplementation(() => clock);
    const tensors = tf.memory().numTensors;
    let result;
    try {
      result = await measureLayerLatency(model, { batchSize: 2, runs: 3, warmup: 2 });
    } finally {
      now.mockRestore();
    }
    // The i-th layer timed (in the order the spies saw): calls 10(i+1) + 0..4, the last 3 timed: median 10(i+1) + 3.
    const order = Object.keys(seen);
    expect([...order].sort()).toEqual(['a', 'b', 'gap', 'out', 'sum']);
    expect(result.layers).toEqual(Object.fromEntries(order.map((name, i) => [name, 10 * (i + 1) + 3])));
    expect(result.totalMs).toBe(13 + 23 + 33 + 43 + 53);
    expect(result.batchSize).toBe(2);
    expect(result.backend).toBe(tf.getBackend());
    expect(seen).toEqual({
      a: Array(5).fill([[2, 6, 6, 2]]),
      b: Array(5).fill([[2, 6, 6, 3]]),
      sum: Array(5).fill([[2, 6, 6, 3], [2, 6, 6, 3]]),
      gap: Array(5).fill([[2, 6, 6, 3]]),
      out: Array(5).fill([[2, 3]]),
    });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(model.getWeights().map((w) => w.arraySync())).toEqual(weights);
    model.dispose();
  });

  test('a model whose input size is not fixed is timed at inputShape, and refused without it', async () => {
    const model = net([null, null, 2]);
    const shapes: number[][] = [];
    const layer = model.getLayer('b');
    const apply = layer.apply.bind(layer);
    jest.spyOn(layer, 'apply').mockImplementation((inputs, kwargs) => {
      shapes.push((inputs as tf.Tensor).shape);
      return apply(inputs, kwargs);
    });
    await expectPruneErrorAsync(() => measureLayerLatency(model), 'INVALID_OPTION', 'sees inputs of unknown size', 'inputShape');
    const result = await measureLayerLatency(model, { inputShape: [4, 5, 2], runs: 1, warmup: 0 });
    expect(Object.keys(result.layers).sort()).toEqual(['a', 'b', 'gap', 'out', 'sum']);
    expect(shapes).toEqual([[1, 4, 5, 3]]);
    model.dispose();
  });

  test('bad options say what to pass', async () => {
    const model = net();
    await expectPruneErrorAsync(() => measureLayerLatency(model, { runs: 0 }), 'INVALID_OPTION', 'runs must be an integer >= 1');
    await expectPruneErrorAsync(() => measureLayerLatency(model, { batchSize: 1.5 }), 'INVALID_OPTION', 'batchSize');
    await expectPruneErrorAsync(() => measureLayerLatency(model, { warmup: -1 }), 'INVALID_OPTION', 'warmup must be an integer >= 0');
    await expectPruneErrorAsync(() => measureLayerLatency(model, { repeats: 3 } as never), 'INVALID_OPTION', 'unknown option(s) repeats');
    await expectPruneErrorAsync(() => measureLayerLatency({} as never), 'NOT_A_LAYERS_MODEL');
    model.dispose();
  });
});
