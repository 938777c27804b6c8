/** tfjs-prune's block-copy Tile on wasm against the cpu backend. */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { enableWasmTraining } from '../../src/wasm';
import { onBackend, wasmBackend } from './cross-backend';

beforeAll(() => {
  enableWasmTraining();
});

const tileOn = (backend: 'cpu' | 'wasm', shape: number[], reps: number[], dtype: 'float32' | 'int32' | 'bool') =>
  onBackend(backend, () => {
    const dataIds = backend === 'wasm' ? wasmBackend().numDataIds() : 0;
    const n = shape.reduce((a, b) => a * b, 1);
    const values = Array.from({ length: n }, (_, i) => (dtype === 'bool' ? Number(i % 3 === 0) : i + 1));
    const x = tf.tensor(values, shape, dtype);
    const y = tf.tile(x, reps);
    const result = { shape: y.shape, values: Array.from(y.dataSync()) };
    tf.dispose([x, y]);
    if (backend === 'wasm') expect(wasmBackend().numDataIds()).toBe(dataIds);
    return result;
  });

describe('tile on wasm', () => {
  test('hand-computed: [[1, 2]] tiled [2, 3]', async () => {
    expect(await tileOn('wasm', [1, 2], [2, 3], 'float32')).toEqual({
      shape: [2, 6],
      values: [1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2],
    });
  });

  const CASES: Array<[number[], number[]]> = [
    [[], []],
    [[3], [4]],
    [[2, 3], [1, 1]],
    [[2, 3], [3, 2]],
    [[1, 1, 1, 5], [2, 3, 4, 1]],
    [[2, 1, 3, 2], [1, 4, 1, 3]],
    [[2, 2, 2, 2, 2], [2, 1, 2, 1, 2]],
    [[3, 2], [0, 2]],
    [[7], [1]],
  ];
  test.each(CASES.flatMap(([shape, reps]) => (['float32', 'int32', 'bool'] as const).map((d) => [`${d} [${shape}] x [${reps}]`, shape, reps, d] as const)))(
    'equals the cpu backend: %s',
    async (_n, shape, reps, dtype) => {
      const before = tf.memory().numTensors;
      expect(await tileOn('wasm', [...shape], [...reps], dtype)).toEqual(await tileOn('cpu', [...shape], [...reps], dtype));
      expect(tf.memory().numTensors).toBe(before);
    },
  );
});
