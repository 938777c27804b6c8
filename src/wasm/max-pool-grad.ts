import {
  backend_util,
  MaxPoolGrad,
  type KernelConfig,
  type KernelFunc,
  type MaxPoolGradAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { expectShape } from './expect-shape';

/**
 * `MaxPoolGrad` for the wasm backend, replacing wasm 4.22's own, which loses the gradient of
 * every window whose maximum is not positive (its search starts from the smallest positive
 * float instead of -Infinity), so layers after which values can be negative or zero (BN,
 * linear conv, tanh) train wrongly. Like the cpu backend and TensorFlow, each window's gradient
 * goes to its first maximum in row-major order; windows overlapping padding only look at real
 * pixels. The output grid is taken from `dy`, so pooling with `dimRoundingMode: 'ceil'` also
 * gets the right gradient (tfjs-core does not pass the rounding mode to this kernel, and the cpu
 * backend then misreads dy). Runs in JS over the wasm heap, channels innermost.
 *
 * @example
 * ```ts
 * // On the wasm backend, after enableWasmTraining(), tf.grad of tf.maxPool uses it:
 * const x = tf.randomNormal([1, 4, 4, 3]);
 * const dx = tf.grad((x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid').sum())(x);
 * ```
 */
export const maxPoolGradWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const dy = inputs.dy as TensorInfo;
  const x = inputs.input as TensorInfo;
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as MaxPoolGradAttrs;
  const info = backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  // tfjs-core's maxPool gradient drops `dimRoundingMode`, so the output grid is read off dy
  // itself (padding does not depend on the rounding); windows are clipped to the input.
  const [outHeight, outWidth] = [dy.shape[1], dy.shape[2]];
  expectShape(MaxPoolGrad, 'dy', dy.shape, [info.batchSize, outHeight, outWidth, info.inChannels]);
  const { batchSize, inHeight, inWidth, inChannels, strideHeight, strideWidth } = info;
  const { filterHeight, filterWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const wasm = backend as BackendWasm;
  const out = wasm.makeOutput(x.shape, 'float32');
  // Views after the allocation (which may grow, and so detach, the heap).
  const xs = wasm.typedArrayFromHeap(x);
  const dys = wasm.typedArrayFromHeap(dy);
  const dx = wasm.typedArrayFromHeap(out);
  dx.fill(0);
  const best = new Float32Array(inChannels);
  const where = new Int32Array(inChannels);
  let dyOffset = 0;
  for (let n = 0; n < batchSize; n++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const y0 = oy * strideHeight - top;
      const rowStart = Math.max(0, y0);
      const rowEnd = Math.min(inHeight, y0 + filterHeight);
      for (let ox = 0; ox < outWidth; ox++, dyOffset += inChannels) {
        const x0 = ox * strideWidth - left;
        const colStart = Math.max(0, x0);
        const colEnd = Math.min(inWidth, x0 + filterWidth);
        best.fill(-Infinity);
        where.fill(-1);
        for (let r = rowStart; r < rowEnd; r++) {
          for (let c = colStart; c < colEnd; c++) {
            const base = ((n * inHeight + r) * inWidth + c) * inChannels;
            for (let ch = 0; ch < inChannels; ch++) {
              const v = xs[base + ch];
              if (v > best[ch]) {
                best[ch] = v;
                where[ch] = base + ch;
              }
            }
          }
        }
        for (let ch = 0; ch < inChannels; ch++) {
          if (where[ch] >= 0) dx[where[ch]] += dys[dyOffset + ch];
        }
      }
    }
  }
  return out;
};

/**
 * Kernel registration record of {@link maxPoolGradWasm}. It takes the place of the wasm
 * backend's own `MaxPoolGrad`; `enableWasmTraining` registers the same kernel function while
 * keeping the original's setup.
 *
 * @example
 * ```ts
 * tf.unregisterKernel('MaxPoolGrad', 'wasm');
 * tf.registerKernel(maxPoolGradWasmConfig); // prefer enableWasmTraining()
 * ```
 */
export const maxPoolGradWasmConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGradWasm,
};
