import * as tf from '@tensorflow/tfjs';
import { filterGradientPadding, inputGradientPadding } from '../../src/wasm/backprop-padding';

const info = (x: number[], k: number[], strides: number | [number, number], pad: tf.backend_util.ExplicitPadding | 'same' | 'valid' | number) =>
  tf.backend_util.computeConv2DInfo(x as [number, number, number, number], k as [number, number, number, number], strides, 1, pad);

describe('backprop padding (hand-computed)', () => {
  test("5x5 input, 3x3 kernel, stride 2, 'same' (pads 1/1, output 3x3)", () => {
    const i = info([1, 5, 5, 1], [3, 3, 1, 1], 2, 'same');
    // filter gradient: rows kh + 2i for i < 3 must exist: 3 + 2*2 = 7 = 1 + 5 + 1.
    expect(filterGradientPadding(i)).toEqual({ top: 1, bottom: 1, left: 1, right: 1, cropTop: 0, cropLeft: 0 });
    // input gradient: spread dy has 3*2 = 6 rows; 6 + top 1 + bottom 0 - 3 + 1 = 5 rows.
    expect(inputGradientPadding(i)).toEqual({ top: 1, bottom: 0, left: 1, right: 0, cropTop: 0, cropLeft: 0 });
  });

  test("6x6 input, 3x3 kernel, stride 2, 'valid': the last input row is never read", () => {
    const i = info([1, 6, 6, 1], [3, 3, 1, 1], 2, 'valid'); // output 2x2
    // needs 3 + 2 = 5 rows and 6 exist: no padding; the helper's 6 - 2 = 4 output rows are cropped to 3.
    expect(filterGradientPadding(i)).toEqual({ top: 0, bottom: 0, left: 0, right: 0, cropTop: 0, cropLeft: 0 });
    // spread dy has 4 rows; top 2, bottom 6 + 0 - 4 = 2: 4 + 2 + 2 - 3 + 1 = 6.
    expect(inputGradientPadding(i)).toEqual({ top: 2, bottom: 2, left: 2, right: 2, cropTop: 0, cropLeft: 0 });
  });

  test('explicit padding larger than the kernel: negative input-gradient padding becomes a crop', () => {
    const i = info([1, 4, 4, 1], [2, 2, 1, 1], 1, [[0, 0], [3, 0], [0, 4], [0, 0]]); // output 6x7
    // top = 2 - 1 - 3 = -2 -> 0 with crop 2; bottom = 4 + 3 - 6 = 1; left = 1; right = 4 + 0 - 7 = -3 -> 0.
    expect(inputGradientPadding(i)).toEqual({ top: 0, bottom: 1, left: 1, right: 0, cropTop: 2, cropLeft: 0 });
    // filter gradient: rows needed 2 + 5 = 7 = 3 + 4 + 0; columns 2 + 6 = 8 = 0 + 4 + 4.
    expect(filterGradientPadding(i)).toEqual({ top: 3, bottom: 0, left: 0, right: 4, cropTop: 0, cropLeft: 0 });
  });
});
