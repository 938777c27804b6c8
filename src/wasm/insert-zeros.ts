import type { TensorInfo } from '@tensorflow/tfjs';
import type { WasmScope } from './with-wasm-scope';

/**
 * Spreads an NHWC tensor `[N, H, W, C]` out by the strides: row `i` moves to row `i * strideHeight`,
 * column `j` to `j * strideWidth`, and the gaps (including `stride - 1` trailing rows and columns)
 * are zeros. The result is `[N, H * strideHeight, W * strideWidth, C]`, made with one wasm `PadV2`
 * (XNNPACK) on a 5-D view. With unit strides the input itself is returned (no copy).
 *
 * This is the "fractionally strided" input of a transposed convolution: correlating it with the
 * flipped filter gives the gradient of a strided (depthwise) convolution with respect to its input.
 *
 * @example
 * ```ts
 * // dy: [2, 4, 4, 8] -> [2, 8, 8, 8], dy[n, i, j, c] at [n, 2i, 2j, c]
 * const spread = insertZeros(scope, dy, 2, 2);
 * ```
 */
export function insertZeros(scope: WasmScope, x: TensorInfo, strideHeight: number, strideWidth: number): TensorInfo {
  if (strideHeight === 1 && strideWidth === 1) return x;
  const [n, h, w, c] = x.shape;
  const padded = scope.run(
    'PadV2',
    { x: scope.view(x, [n * h, 1, w, 1, c]) },
    {
      paddings: [
        [0, 0],
        [0, strideHeight - 1],
        [0, 0],
        [0, strideWidth - 1],
        [0, 0],
      ],
      constantValue: 0,
    },
  );
  return scope.view(padded, [n, h * strideHeight, w * strideWidth, c]);
}
