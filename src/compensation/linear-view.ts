import * as tf from '@tensorflow/tfjs';
import { layerConfig } from '../model/layer-config';
import { weightShortName } from '../model/weight-short-name';

/**
 * A consumer layer seen as one matrix product: its pre-activation output at every output position
 * is `row · K + b`, where `row` is a *design row* built from its input (the input vector for Dense,
 * the flattened receptive field of one output position for a convolution, the depthwise output
 * for a SeparableConv2D's pointwise part) and `K` is its kernel reshaped to `[columns, outputs]`.
 * Column order matches the kernel's memory order (`[...window, inputChannel]`), so `K` is a plain
 * reshape of the kernel.
 */
export interface LinearView {
  readonly kind: 'dense' | 'conv' | 'separable' | 'transpose';
  /** Columns of a design row for an input of `inputWidth` channels. */
  columns(inputWidth: number): number;
  /** Output positions per example (1 for Dense on a 2D input; output height × width for a Conv2D). */
  positions(inputShape: readonly number[]): number;
  /**
   * Design rows of `x` (`[batch, ...spatial, channels]`) as a `[batch * picked, columns]` matrix,
   * `picked` positions per example, the same for every example (all positions when `pick` is null).
   * `depthwiseKernel` is the depthwise kernel to use for a SeparableConv2D (the layer's own when omitted).
   */
  design(x: tf.Tensor, pick: Int32Array | null, depthwiseKernel?: tf.Tensor): tf.Tensor2D;
  readonly useBias: boolean;
  /** Index into `layer.getWeights()` of the kernel that the refit replaces, and of the bias (-1: none). */
  readonly kernelIndex: number;
  readonly biasIndex: number;
  /** Index of the depthwise kernel (SeparableConv2D only, else -1). */
  readonly depthwiseIndex: number;
  /** The kernel as the `[columns, outputs]` matrix design rows multiply (a reshape, except for Conv2DTranspose). */
  matrix(kernel: tf.Tensor): tf.Tensor2D;
  /** The inverse of `matrix`: a kernel of `shape` from the design-order matrix (`[columns, outputs]` row-major). */
  kernel(matrix: Float32Array, shape: readonly number[]): tf.Tensor;
}

const reshapeMatrix = (kernel: tf.Tensor): tf.Tensor2D => kernel.reshape([-1, kernel.shape[kernel.rank - 1]]);
const reshapeKernel = (matrix: Float32Array, shape: readonly number[]): tf.Tensor => tf.tensor(matrix, shape.slice());

type Padding = 'valid' | 'same' | 'causal';

const asList = (v: unknown, rank: number, fallback: number): number[] => {
  if (Array.isArray(v)) return v.map(Number);
  if (typeof v === 'number') return new Array<number>(rank).fill(v);
  return new Array<number>(rank).fill(fallback);
};

/** Why `layer` cannot be refit in closed form, or null when {@link linearView} supports it. */
export function linearViewUnsupported(layer: tf.layers.Layer): string | null {
  const cls = layer.getClassName();
  const cfg = layerConfig(layer);
  if (!['Dense', 'Conv1D', 'Conv2D', 'Conv3D', 'SeparableConv2D', 'Conv2DTranspose'].includes(cls)) return `${cls} has no closed-form refit`;
  if (cfg.dataFormat === 'channelsFirst') return 'channelsFirst data format is not supported by the refit';
  if (cfg.padding === 'causal') return "padding 'causal' is not supported by the refit";
  return null;
}

/** The linear view of a Dense, Conv1D/2D/3D, SeparableConv2D or Conv2DTranspose layer (see {@link linearViewUnsupported}). */
export function linearView(layer: tf.layers.Layer): LinearView {
  const cls = layer.getClassName();
  const cfg = layerConfig(layer);
  const names = layer.weights.map(weightShortName);
  const useBias = cfg.useBias !== false && names.includes('bias');
  const biasIndex = useBias ? names.indexOf('bias') : -1;
  if (cls === 'Dense') {
    return {
      kind: 'dense',
      columns: (w) => w,
      positions: (shape) => shape.slice(1, -1).reduce((a, b) => a * b, 1),
      design: (x, pick) =>
        tf.tidy(() => {
          const width = x.shape[x.rank - 1];
          if (pick === null || x.rank === 2) return x.reshape([-1, width]) as tf.Tensor2D;
          const flat = x.reshape([x.shape[0], -1, width]);
          return tf.gather(flat, tf.tensor1d(pick, 'int32'), 1).reshape([-1, width]) as tf.Tensor2D;
        }),
      useBias,
      kernelIndex: names.indexOf('kernel'),
      biasIndex,
      depthwiseIndex: -1,
      matrix: reshapeMatrix,
      kernel: reshapeKernel,
    };
  }
  if (cls === 'Conv2DTranspose') return transposeView(cfg, useBias, names.indexOf('kernel'), biasIndex);
  const rank = cls === 'Conv1D' ? 1 : cls === 'Conv3D' ? 3 : 2;
  const separable = cls === 'SeparableConv2D';
  const kernel = asList(cfg.kernelSize, rank, 1);
  const strides = asList(cfg.strides, rank, 1);
  const dilation = asList(cfg.dilationRate, rank, 1);
  const padding = (cfg.padding ?? 'valid') as Padding;
  const window = separable ? 1 : kernel.reduce((a, b) => a * b, 1);
  const outSize = (inSize: number, d: number): number => {
    const span = (kernel[d] - 1) * dilation[d] + 1;
    return padding === 'same' ? Math.ceil(inSize / strides[d]) : Math.floor((inSize - span) / strides[d]) + 1;
  };
  const depthwiseIndex = separable ? names.indexOf('depthwise_kernel') : -1;
  const kernelIndex = separable ? names.indexOf('pointwise_kernel') : names.indexOf('kernel');
  return {
    kind: separable ? 'separable' : 'conv',
    columns: (w) => window * w * (separable ? Number(cfg.depthMultiplier ?? 1) : 1),
    positions: (shape) => shape.slice(1, 1 + rank).reduce((a, _, d) => a * outSize(shape[1 + d], d), 1),
    design: (x, pick, depthwiseKernel) =>
      tf.tidy(() => {
        let cols: tf.Tensor;
        if (separable) {
          const dw = depthwiseKernel ?? layer.getWeights()[depthwiseIndex];
          cols = tf.depthwiseConv2d(x as tf.Tensor4D, dw as tf.Tensor4D, strides as [number, number], padding as 'valid' | 'same', 'NHWC', dilation as [number, number]);
        } else {
          cols = patches(x, kernel, strides, dilation, padding);
        }
        const width = cols.shape[cols.rank - 1];
        const flat = cols.reshape([cols.shape[0], -1, width]);
        const picked = pick === null ? flat : tf.gather(flat, tf.tensor1d(pick, 'int32'), 1);
        return picked.reshape([-1, width]) as tf.Tensor2D;
      }),
    useBias,
    kernelIndex,
    biasIndex,
    depthwiseIndex,
    matrix: reshapeMatrix,
    kernel: reshapeKernel,
  };
}

/**
 * A Conv2DTranspose as a plain convolution: its input with `stride - 1` zeros inserted between
 * neighbours, padded so that a stride-1 `valid` convolution gives the layer's output size, read
 * with the spatially flipped kernel (`[kh, kw, out, in]` becomes `[kh, kw, in, out]`).
 */
function transposeView(cfg: Record<string, unknown>, useBias: boolean, kernelIndex: number, biasIndex: number): LinearView {
  const kernel = asList(cfg.kernelSize, 2, 1);
  const strides = asList(cfg.strides, 2, 1);
  const padding = (cfg.padding ?? 'valid') as 'valid' | 'same';
  // Keras: 'same' gives size * stride; 'valid' gives size * stride + max(kernel - stride, 0).
  const outSize = (size: number, d: number): number => (padding === 'same' ? size * strides[d] : size * strides[d] + Math.max(kernel[d] - strides[d], 0));
  const window = kernel[0] * kernel[1];
  return {
    kind: 'transpose',
    columns: (w) => window * w,
    positions: (shape) => outSize(shape[1], 0) * outSize(shape[2], 1),
    design: (x, pick) =>
      tf.tidy(() => {
        const [n, h, w, c] = x.shape;
        const [sh, sw] = strides;
        let up: tf.Tensor = x;
        if (sh > 1 || sw > 1) {
          // Zero insertion: [n, h, 1, w, 1, c] padded to [n, h, sh, w, sw, c], then cut to (h-1)sh+1 by (w-1)sw+1.
          up = tf
            .pad(x.reshape([n, h, 1, w, 1, c]), [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]])
            .reshape([n, h * sh, w * sw, c])
            .slice([0, 0, 0, 0], [n, (h - 1) * sh + 1, (w - 1) * sw + 1, c]);
        }
        const pads: Array<[number, number]> = [[0, 0]];
        [h, w].forEach((size, d) => {
          const out = outSize(size, d);
          const forwardPad = Math.max((size - 1) * strides[d] + kernel[d] - out, 0);
          const before = kernel[d] - 1 - Math.floor(forwardPad / 2);
          const total = out + kernel[d] - 2 - (size - 1) * strides[d];
          pads.push([before, total - before]);
        });
        pads.push([0, 0]);
        const padded = tf.pad(up, pads);
        const cols = patches(padded, kernel, [1, 1], [1, 1], 'valid');
        const width = cols.shape[cols.rank - 1];
        const flat = cols.reshape([n, -1, width]);
        const picked = pick === null ? flat : tf.gather(flat, tf.tensor1d(pick, 'int32'), 1);
        return picked.reshape([-1, width]) as tf.Tensor2D;
      }),
    useBias,
    kernelIndex,
    biasIndex,
    depthwiseIndex: -1,
    matrix: (k) => tf.tidy(() => tf.reverse(k, [0, 1]).transpose([0, 1, 3, 2]).reshape([-1, k.shape[2] as number]) as tf.Tensor2D),
    kernel: (matrix, shape) =>
      tf.tidy(() => tf.reverse(tf.tensor(matrix, [shape[0], shape[1], shape[3], shape[2]]).transpose([0, 1, 3, 2]), [0, 1])),
  };
}

/**
 * The receptive fields of a convolution: `[batch, ...outSpatial, window * channels]`, window
 * offsets in row-major kernel order, channels fastest (the kernel's `[...k, in, out]` order).
 */
function patches(x: tf.Tensor, kernel: number[], strides: number[], dilation: number[], padding: Padding): tf.Tensor {
  const rank = kernel.length;
  const spatial = x.shape.slice(1, 1 + rank);
  let input = x;
  const out: number[] = [];
  if (padding === 'same') {
    const pads: Array<[number, number]> = [[0, 0]];
    spatial.forEach((size, d) => {
      const o = Math.ceil(size / strides[d]);
      const span = (kernel[d] - 1) * dilation[d] + 1;
      const total = Math.max((o - 1) * strides[d] + span - size, 0);
      pads.push([Math.floor(total / 2), total - Math.floor(total / 2)]);
      out.push(o);
    });
    pads.push([0, 0]);
    if (pads.some(([a, b]) => a > 0 || b > 0)) input = tf.pad(x, pads);
  } else {
    spatial.forEach((size, d) => out.push(Math.floor((size - ((kernel[d] - 1) * dilation[d] + 1)) / strides[d]) + 1));
  }
  const slices: tf.Tensor[] = [];
  const offsets = new Array<number>(rank).fill(0);
  const count = kernel.reduce((a, b) => a * b, 1);
  for (let i = 0; i < count; i++) {
    let rest = i;
    for (let d = rank - 1; d >= 0; d--) {
      offsets[d] = rest % kernel[d];
      rest = Math.floor(rest / kernel[d]);
    }
    const begin = [0, ...offsets.map((o, d) => o * dilation[d]), 0];
    const end = [input.shape[0], ...offsets.map((o, d) => o * dilation[d] + (out[d] - 1) * strides[d] + 1), input.shape[rank + 1]];
    slices.push(tf.stridedSlice(input, begin, end, [1, ...strides, 1]));
  }
  return slices.length === 1 ? slices[0] : tf.concat(slices, rank + 1);
}
