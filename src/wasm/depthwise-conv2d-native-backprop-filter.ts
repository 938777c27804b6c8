import {
  backend_util,
  DepthwiseConv2dNativeBackpropFilter,
  type DepthwiseConv2dNativeBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { filterGradientPadding } from './backprop-padding';
import { crop } from './crop';
import { expectShape } from './expect-shape';
import { expectUnitDilations } from './expect-unit-dilations';
import { withWasmScope } from './with-wasm-scope';

/**
 * `DepthwiseConv2dNativeBackpropFilter` for the wasm backend, which lacks it: the gradient of
 * `depthwiseConv2d` with respect to its filter `[kH, kW, C, M]`. `x` is viewed as one image of
 * `N * C` channels (`[1, H, W, N*C]`, after moving the batch next to the channels) and `dy` as a
 * depthwise filter `[outH, outW, N*C, M]`; one XNNPACK depthwise convolution with stride 1 and
 * dilation = the forward stride gives `[1, kH', kW', N*C*M]`, which is cropped to the filter
 * size and summed over the batch.
 *
 * @example
 * ```ts
 * // On the wasm backend, after enableWasmTraining() (tf.grad of a depthwiseConv2d calls it the same way):
 * const x = tf.randomNormal([2, 8, 8, 8]);
 * const dy = tf.randomNormal([2, 8, 8, 16]);
 * const dW = tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy },
 *   { strides: 1, pad: 'same', dilations: 1, filterShape: [3, 3, 8, 2] });
 * ```
 */
export const depthwiseConv2dNativeBackpropFilterWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const x = inputs.x as TensorInfo;
  const dy = inputs.dy as TensorInfo;
  const { strides, dilations, pad, dimRoundingMode, filterShape } =
    attrs as unknown as DepthwiseConv2dNativeBackpropFilterAttrs;
  expectUnitDilations(DepthwiseConv2dNativeBackpropFilter, dilations);
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    true,
  );
  expectShape(DepthwiseConv2dNativeBackpropFilter, 'dy', dy.shape, info.outShape);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth } = info;
  const multiplier = info.outChannels / inChannels;
  const p = filterGradientPadding(info);
  return withWasmScope(backend as BackendWasm, (scope) => {
    const lanes = batchSize * inChannels;
    // [N, H, W, C] -> [H, W, N, C] = one image with N*C channels.
    const xT = scope.run('Transpose', { x }, { perm: [1, 2, 0, 3] });
    // [N, oH, oW, C*M] -> [oH, oW, N, C*M] = a depthwise filter with N*C channels, multiplier M.
    const dyT = scope.run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
    const g = scope.run(
      'DepthwiseConv2dNative',
      {
        x: scope.view(xT, [1, inHeight, inWidth, lanes]),
        filter: scope.view(dyT, [outHeight, outWidth, lanes, multiplier]),
      },
      {
        strides: [1, 1],
        pad: [
          [0, 0],
          [p.top, p.bottom],
          [p.left, p.right],
          [0, 0],
        ],
        dilations: [info.strideHeight, info.strideWidth],
      },
    );
    scope.release(xT);
    scope.release(dyT);
    const cropped = crop(scope, g, [0, 0, 0, 0], [1, filterHeight, filterWidth, lanes * multiplier]);
    if (batchSize === 1) return scope.view(cropped, [filterHeight, filterWidth, inChannels, multiplier]);
    const perImage = scope.view(cropped, [filterHeight, filterWidth, batchSize, inChannels * multiplier]);
    const summed = scope.run('Sum', { x: perImage }, { axis: [2], keepDims: false });
    return scope.view(summed, [filterHeight, filterWidth, inChannels, multiplier]);
  });
};

/**
 * Kernel registration record of {@link depthwiseConv2dNativeBackpropFilterWasm}.
 *
 * @example
 * ```ts
 * tf.registerKernel(depthwiseConv2dNativeBackpropFilterWasmConfig);
 * ```
 */
export const depthwiseConv2dNativeBackpropFilterWasmConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilterWasm,
};
