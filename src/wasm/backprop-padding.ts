import type { backend_util } from '@tensorflow/tfjs';

/**
 * Explicit zero padding of a stride-1 helper convolution, and the crop of its output.
 *
 * @example
 * ```ts
 * const p: BackpropPadding = inputGradientPadding(info);
 * const pad = [[0, 0], [p.top, p.bottom], [p.left, p.right], [0, 0]];
 * ```
 */
export interface BackpropPadding {
  /** Rows of zeros above the helper convolution's input (never negative). */
  top: number;
  /** Rows of zeros below (never negative). */
  bottom: number;
  /** Columns of zeros left (never negative). */
  left: number;
  /** Columns of zeros right (never negative). */
  right: number;
  /** First output row to keep: more than 0 when the exact padding would have been negative. */
  cropTop: number;
  /** First output column to keep. */
  cropLeft: number;
}

/**
 * Padding for the filter gradient computed as a stride-1 convolution whose dilation is the forward
 * stride: `dW[kh, kw] = sum_i,j x_padded[kh + i * strideH, kw + j * strideW] * dy[i, j]`. Top and
 * left are the forward padding; bottom and right are whatever makes the output at least
 * `filterHeight x filterWidth` (rows of `x` the forward pass never read are cropped afterwards).
 *
 * @example
 * ```ts
 * const info = backend_util.computeConv2DInfo([1, 5, 5, 1], [3, 3, 1, 1], 2, 1, 'same');
 * filterGradientPadding(info); // { top: 1, bottom: 1, left: 1, right: 1, cropTop: 0, cropLeft: 0 }
 * ```
 */
export function filterGradientPadding(info: backend_util.Conv2DInfo): BackpropPadding {
  const { top, left } = info.padInfo;
  const needH = info.filterHeight + (info.outHeight - 1) * info.strideHeight;
  const needW = info.filterWidth + (info.outWidth - 1) * info.strideWidth;
  return {
    top,
    left,
    bottom: Math.max(0, needH - info.inHeight - top),
    right: Math.max(0, needW - info.inWidth - left),
    cropTop: 0,
    cropLeft: 0,
  };
}

/**
 * Padding for the input gradient computed as a stride-1 correlation of the zero-inserted `dy`
 * (`outHeight * strideHeight` rows, see `insertZeros`) with the spatially flipped filter, so that
 * the output has exactly the forward input's height and width. Where the exact padding would be
 * negative (forward padding larger than the filter) it is clamped to 0 and the surplus output
 * rows or columns are cropped from `cropTop` / `cropLeft`.
 *
 * @example
 * ```ts
 * const info = backend_util.computeConv2DInfo([1, 5, 5, 1], [3, 3, 1, 1], 2, 1, 'same');
 * inputGradientPadding(info); // { top: 1, bottom: 0, left: 1, right: 0, cropTop: 0, cropLeft: 0 }
 * ```
 */
export function inputGradientPadding(info: backend_util.Conv2DInfo): BackpropPadding {
  const top = info.filterHeight - 1 - info.padInfo.top;
  const left = info.filterWidth - 1 - info.padInfo.left;
  const bottom = info.inHeight + info.padInfo.top - info.outHeight * info.strideHeight;
  const right = info.inWidth + info.padInfo.left - info.outWidth * info.strideWidth;
  return {
    top: Math.max(0, top),
    bottom: Math.max(0, bottom),
    left: Math.max(0, left),
    right: Math.max(0, right),
    cropTop: Math.max(0, -top),
    cropLeft: Math.max(0, -left),
  };
}
