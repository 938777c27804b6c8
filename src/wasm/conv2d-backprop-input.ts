import {
  backend_util,
  Conv2DBackpropInput,
  type Conv2DBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { inputGradientPadding } from './backprop-padding';
import { crop } from './crop';
import { expectShape } from './expect-shape';
import { inputGradientByPhases } from './input-gradient-by-phases';
import { withWasmScope } from './with-wasm-scope';

/**
 * `Conv2DBackpropInput` for the wasm backend built on XNNPACK, faster than wasm's own kernel
 * (a naive loop): the gradient of `conv2d` with respect to its input, also the forward pass of
 * `conv2dTranspose`. With stride 1, `dy` is correlated with the filter flipped in both spatial
 * axes and transposed to `[kH, kW, outC, C]`, padded by `filter - 1 - forward padding`; with a
 * larger stride, one such correlation per stride phase with a sub-filter
 * (`inputGradientByPhases`), which skips the zeros a zero-inserted `dy` would multiply. NHWC and
 * NCHW are supported.
 *
 * @example
 * ```ts
 * // On the wasm backend, after enableWasmTraining() (tf.grad of a conv2d calls it the same way):
 * const dy = tf.randomNormal([2, 4, 4, 16]);
 * const filter = tf.randomNormal([3, 3, 3, 16]);
 * const dx = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter },
 *   { inputShape: [2, 8, 8, 3], strides: 2, pad: 'same', dataFormat: 'NHWC' });
 * ```
 */
export const conv2DBackpropInputWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const dy = inputs.dy as TensorInfo;
  const filter = inputs.filter as TensorInfo;
  const { inputShape, strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as Conv2DBackpropInputAttrs;
  const format = backend_util.convertConv2DDataFormat(dataFormat);
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    format,
  );
  expectShape(Conv2DBackpropInput, 'dy', dy.shape, info.outShape);
  const channelsLast = format === 'channelsLast';
  const { batchSize, inHeight, inWidth, inChannels } = info;
  const p = inputGradientPadding(info);
  return withWasmScope(backend as BackendWasm, (scope) => {
    const dyNhwc = channelsLast ? dy : scope.run('Transpose', { x: dy }, { perm: [0, 2, 3, 1] });
    if (info.strideHeight > 1 || info.strideWidth > 1) {
      const dx = inputGradientByPhases(scope, dyNhwc, filter, info);
      return channelsLast ? dx : scope.run('Transpose', { x: dx }, { perm: [0, 3, 1, 2] });
    }
    const flipped = scope.run('Reverse', { x: filter }, { dims: [0, 1] });
    const flippedT = scope.run('Transpose', { x: flipped }, { perm: [0, 1, 3, 2] });
    scope.release(flipped);
    const full = scope.run(
      'Conv2D',
      { x: dyNhwc, filter: flippedT },
      {
        strides: [1, 1],
        pad: [
          [0, 0],
          [p.top, p.bottom],
          [p.left, p.right],
          [0, 0],
        ],
        dilations: [1, 1],
        dataFormat: 'NHWC',
      },
    );
    const dx = crop(scope, full, [0, p.cropTop, p.cropLeft, 0], [batchSize, inHeight, inWidth, inChannels]);
    return channelsLast ? dx : scope.run('Transpose', { x: dx }, { perm: [0, 3, 1, 2] });
  });
};

/**
 * Kernel registration record of {@link conv2DBackpropInputWasm}. It takes the place of the wasm
 * backend's own `Conv2DBackpropInput`; `enableWasmTraining` registers the same kernel function
 * while keeping the original (to restore it, and so that its setup still runs).
 *
 * @example
 * ```ts
 * tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
 * tf.registerKernel(conv2DBackpropInputWasmConfig); // prefer enableWasmTraining()
 * ```
 */
export const conv2DBackpropInputWasmConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInputWasm,
};
