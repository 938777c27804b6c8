/** tfjs-prune's Slice on wasm (copies only the slice) against the cpu backend. */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { enableWasmTraining } from '../../src/wasm';
import { onBackend, wasmBackend } from './cross-backend';

beforeAll(() => {
  enableWasmTraining();
});

const sliceOn = (backend: 'cpu' | 'wasm', shape: number[], begin: number[], size: number[], dtype: 'float32' | 'int32' | 'bool') =>
  onBackend(backend, () => {
    const dataIds = backend === 'wasm' ? wasmBackend().numDataIds() : 0;
    const n = shape.reduce((a, b) => a * b, 1);
    const x = tf.tensor(Array.from({ length: n }, (_, i) => (dtype === 'bool' ? Number(i % 3 === 0) : i + 1)), shape, dtype);
    const y = tf.slice(x, begin, size);
    const result = { shape: y.shape, dtype: y.dtype, values: Array.from(y.dataSync()) };
    tf.dispose([x, y]);
    if (backend === 'wasm') expect(wasmBackend().numDataIds()).toBe(dataIds);
    return result;
  });

describe('slice on wasm', () => {
  test('hand-computed: rows 1..2, columns 1..2 of a 3x4 arange', async () => {
    expect(await sliceOn('wasm', [3, 4], [1, 1], [2, 2], 'float32')).toEqual({ shape: [2, 2], dtype: 'float32', values: [6, 7, 10, 11] });
  });

  const CASES: Array<[number[], number[], number[]]> = [
    [[10], [3], [4]],
    [[4, 5], [1, 0], [2, 5]], // contiguous rows
    [[4, 5], [0, 2], [4, -1]], // size -1: to the end
    [[3, 4, 5], [1, 1, 1], [2, 2, 3]],
    [[2, 3, 4, 5], [0, 1, 2, 1], [2, 2, 2, 3]],
    [[2, 3, 4, 5], [1, 0, 0, 0], [1, 3, 4, 5]],
    [[2, 2, 3, 2, 3], [0, 1, 1, 0, 1], [2, 1, 2, 2, 2]],
    [[2, 2, 2, 2, 2, 3], [1, 0, 1, 0, 1, 1], [1, 2, 1, 2, 1, 2]],
    [[3, 4], [1, 1], [0, 2]], // empty
  ];
  test.each(CASES.flatMap(([shape, begin, size]) => (['float32', 'int32', 'bool'] as const).map((d) => [`${d} [${shape}] begin [${begin}] size [${size}]`, shape, begin, size, d] as const)))(
    'equals the cpu backend: %s',
    async (_n, shape, begin, size, dtype) => {
      const before = tf.memory().numTensors;
      expect(await sliceOn('wasm', [...shape], [...begin], [...size], dtype)).toEqual(await sliceOn('cpu', [...shape], [...begin], [...size], dtype));
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  test('string tensors still slice (through the wasm backend\'s own kernel)', async () => {
    const out = await onBackend('wasm', () => {
      const x = tf.tensor(['a', 'b', 'c', 'd']);
      const y = tf.slice(x, [1], [2]);
      const v = y.arraySync();
      tf.dispose([x, y]);
      return v;
    });
    expect(out).toEqual(['b', 'c']);
  });
});
