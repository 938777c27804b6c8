import {
  backend_util,
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { filterGradientPadding } from './backprop-padding';
import { crop } from './crop';
import { expectShape } from './expect-shape';
import { withWasmScope } from './with-wasm-scope';

/**
 * `Conv2DBackpropFilter` for the wasm backend, which lacks it: the gradient of `conv2d` with
 * respect to its filter. It is one XNNPACK `Conv2D` in which the roles are swapped: `x`
 * transposed to `[C, H, W, N]` is the input (channels are the batch), `dy` transposed to
 * `[outH, outW, N, outC]` is the filter, the stride is 1 and the dilation is the forward
 * stride; the forward padding is made explicit. The `[C, kH, kW, outC]` result is cropped and
 * transposed to `[kH, kW, C, outC]`. NHWC and NCHW are supported.
 *
 * @example
 * ```ts
 * // On the wasm backend, after enableWasmTraining() (tf.grad of a conv2d calls it the same way):
 * const x = tf.randomNormal([2, 8, 8, 8]);
 * const dy = tf.randomNormal([2, 4, 4, 16]);
 * const dW = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy },
 *   { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 8, 16] });
 * ```
 */
export const conv2DBackpropFilterWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const x = inputs.x as TensorInfo;
  const dy = inputs.dy as TensorInfo;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as Conv2DBackpropFilterAttrs;
  const format = backend_util.convertConv2DDataFormat(dataFormat);
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    format,
  );
  expectShape(Conv2DBackpropFilter, 'dy', dy.shape, info.outShape);
  const channelsLast = format === 'channelsLast';
  const { inChannels, outChannels, filterHeight, filterWidth } = info;
  const p = filterGradientPadding(info);
  return withWasmScope(backend as BackendWasm, (scope) => {
    const xT = scope.run('Transpose', { x }, { perm: channelsLast ? [3, 1, 2, 0] : [1, 2, 3, 0] });
    const dyT = scope.run('Transpose', { x: dy }, { perm: channelsLast ? [1, 2, 0, 3] : [2, 3, 0, 1] });
    const g = scope.run(
      'Conv2D',
      { x: xT, filter: dyT },
      {
        strides: [1, 1],
        pad: [
          [0, 0],
          [p.top, p.bottom],
          [p.left, p.right],
          [0, 0],
        ],
        dilations: [info.strideHeight, info.strideWidth],
        dataFormat: 'NHWC',
      },
    );
    scope.release(xT);
    scope.release(dyT);
    const cropped = crop(scope, g, [0, 0, 0, 0], [inChannels, filterHeight, filterWidth, outChannels]);
    return scope.run('Transpose', { x: cropped }, { perm: [1, 2, 0, 3] });
  });
};

/**
 * Kernel registration record of {@link conv2DBackpropFilterWasm} for `tf.registerKernel`.
 *
 * @example
 * ```ts
 * tf.registerKernel(conv2DBackpropFilterWasmConfig);
 * ```
 */
export const conv2DBackpropFilterWasmConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilterWasm,
};
