import * as tf from '@tensorflow/tfjs';
import { saveQuantized } from '../../src/deploy/save-quantized';
import { storedSize } from '../../src/metrics/stored-size';
import { expectPruneError } from '../helpers/expect-prune-error';

describe('storedSize', () => {
  // conv 3x3x2x32 kernel (576) + bias (32); BN 4 x 32; dense on the flattened 8*8*32 = 2048: 20480 kernel + 10 bias.
  let model: tf.Sequential;
  beforeAll(() => {
    model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 2], filters: 32, kernelSize: 3, padding: 'same', name: 'c' }),
      tf.layers.batchNormalization({ name: 'bn' }),
      tf.layers.flatten({ name: 'f' }),
      tf.layers.dense({ units: 10, name: 'd' }),
    ],
    });
  });
  afterAll(() => model.dispose());

  test('float32: 4 bytes per weight plus the topology JSON', () => {
    const before = tf.memory().numTensors;
    const s = storedSize(model);
    expect(s.perLayer).toEqual({ c: 4 * (576 + 32), bn: 4 * 128, f: 0, d: 4 * (20480 + 10) });
    expect(s.weightBytes).toBe(4 * (576 + 32 + 128 + 20480 + 10));
    expect(s.topologyBytes).toBe(JSON.stringify(model.toJSON(null, false)).length);
    expect(s.bytes).toBe(s.weightBytes + s.topologyBytes);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('uint8 and float16: tensors of at least minElements values at their width, the rest at 4 bytes', () => {
    expect(storedSize(model, { dtype: 'uint8' }).weightBytes).toBe(576 + 20480 + 4 * (32 + 128 + 10));
    expect(storedSize(model, { dtype: 'float16', minElements: 0 }).weightBytes).toBe(2 * (576 + 32 + 128 + 20480 + 10));
    expect(storedSize(model, { dtype: 'uint16', minElements: 1000 }).weightBytes).toBe(2 * 20480 + 4 * (576 + 32 + 128 + 10));
  });

  test('equals the weights saveQuantized writes', async () => {
    for (const dtype of ['uint8', 'uint16', 'float16', 'float32'] as const) {
      const r = await saveQuantized(model, tf.io.withSaveHandler(async () => ({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })), { dtype, minElements: 100 });
      expect(r.weightBytes).toBe(storedSize(model, { dtype, minElements: 100 }).weightBytes);
    }
  });

  test('refuses bad options', () => {
    expectPruneError(() => storedSize(model, { dtype: 'int8' as 'uint8' }), 'INVALID_OPTION', 'storedSize: dtype must be one of');
  });
});
