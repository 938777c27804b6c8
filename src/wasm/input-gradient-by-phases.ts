import type { backend_util, TensorInfo } from '@tensorflow/tfjs';
import type { WasmScope } from './with-wasm-scope';

/** How one spatial axis of a strided convolution splits into stride-1 phases. */
interface AxisPhases {
  /** Grid rows: input position `u * stride + r - padBefore` for grid row `u` of phase `r`. */
  grid: number;
  /** Filter taps of phase `r`: `taps[r]` (0 when the filter is shorter than `r + 1`). */
  taps: number[];
}

function axisPhases(filter: number, stride: number, padBefore: number, inSize: number): AxisPhases {
  const taps = Array.from({ length: stride }, (_, r) => (r < filter ? Math.ceil((filter - r) / stride) : 0));
  return { grid: Math.ceil((padBefore + inSize) / stride), taps };
}

/**
 * The gradient of a strided NHWC `conv2d` with respect to its input, without the zeros of a
 * zero-inserted `dy`: input rows `h` with `(h + padTop) % strideH == r` only meet filter rows
 * `kh == r (mod strideH)`, so each of the `strideH * strideW` phases is a stride-1 correlation
 * of `dy` with a flipped sub-filter of `ceil((k - r) / stride)` taps (one XNNPACK `Conv2D`, a
 * quarter of the zero-insertion's work for stride 2), and the phases are interleaved into `dx`.
 *
 * @example
 * ```ts
 * // inside a wasm kernel, with info = backend_util.computeConv2DInfo(xShape, w.shape, 2, 1, 'same'):
 * const dx = inputGradientByPhases(scope, dy, filter, info); // [N, H, W, C]
 * ```
 */
export function inputGradientByPhases(
  scope: WasmScope,
  dy: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const rows = axisPhases(filterHeight, strideHeight, top, inHeight);
  const cols = axisPhases(filterWidth, strideWidth, left, inWidth);
  const dx = scope.make([batchSize, inHeight, inWidth, inChannels]);
  scope.backend.typedArrayFromHeap(dx).fill(0);
  for (let r = 0; r < strideHeight; r++) {
    for (let t = 0; t < strideWidth; t++) {
      const a = rows.taps[r];
      const b = cols.taps[t];
      if (a === 0 || b === 0) continue; // those input pixels are never read: gradient 0
      // Flipped sub-filter [a, b, outC, inC]: tap (i, j) is filter (r + sH (a-1-i), t + sW (b-1-j)).
      const sub = scope.make([a, b, outChannels, inChannels]);
      {
        const w = scope.backend.typedArrayFromHeap(filter);
        const s = scope.backend.typedArrayFromHeap(sub);
        let k = 0;
        for (let i = 0; i < a; i++) {
          const kh = r + strideHeight * (a - 1 - i);
          for (let j = 0; j < b; j++) {
            const kw = t + strideWidth * (b - 1 - j);
            const base = (kh * filterWidth + kw) * inChannels * outChannels;
            for (let o = 0; o < outChannels; o++) {
              for (let c = 0; c < inChannels; c++) s[k++] = w[base + c * outChannels + o];
            }
          }
        }
      }
      const bottom = Math.max(0, rows.grid - outHeight);
      const right = Math.max(0, cols.grid - outWidth);
      const phase = scope.run(
        'Conv2D',
        { x: dy, filter: sub },
        {
          strides: [1, 1],
          pad: [
            [0, 0],
            [a - 1, bottom],
            [b - 1, right],
            [0, 0],
          ],
          dilations: [1, 1],
          dataFormat: 'NHWC',
        },
      );
      scope.release(sub);
      // Scatter grid cell (u, v) of this phase to input pixel (u sH + r - top, v sW + t - left).
      const [, phaseRows, phaseCols] = phase.shape;
      const src = scope.backend.typedArrayFromHeap(phase);
      const dst = scope.backend.typedArrayFromHeap(dx);
      for (let n = 0; n < batchSize; n++) {
        for (let u = 0; u < rows.grid; u++) {
          const h = u * strideHeight + r - top;
          if (h < 0 || h >= inHeight) continue;
          for (let v = 0; v < cols.grid; v++) {
            const x = v * strideWidth + t - left;
            if (x < 0 || x >= inWidth) continue;
            const from = ((n * phaseRows + u) * phaseCols + v) * inChannels;
            const to = ((n * inHeight + h) * inWidth + x) * inChannels;
            for (let c = 0; c < inChannels; c++) dst[to + c] = src[from + c];
          }
        }
      }
      scope.release(phase);
    }
  }
  return dx;
}
