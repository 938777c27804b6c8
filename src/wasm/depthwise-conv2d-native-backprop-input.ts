import {
  backend_util,
  DepthwiseConv2dNativeBackpropInput,
  type DepthwiseConv2dNativeBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { inputGradientPadding } from './backprop-padding';
import { crop } from './crop';
import { expectShape } from './expect-shape';
import { expectUnitDilations } from './expect-unit-dilations';
import { insertZeros } from './insert-zeros';
import { withWasmScope } from './with-wasm-scope';

/**
 * `DepthwiseConv2dNativeBackpropInput` for the wasm backend, which lacks it: the gradient of
 * `depthwiseConv2d` with respect to its input. `dy` is spread out by the stride with zeros and
 * correlated, stride 1, with the spatially flipped filter viewed as `[kH, kW, C*M, 1]` (one
 * XNNPACK depthwise convolution over `C*M` channels); the `M` outputs of each input channel are
 * then summed.
 *
 * @example
 * ```ts
 * // On the wasm backend, after enableWasmTraining() (tf.grad of a depthwiseConv2d calls it the same way):
 * const dy = tf.randomNormal([2, 4, 4, 4]);
 * const filter = tf.randomNormal([3, 3, 4, 1]);
 * const dx = tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter },
 *   { inputShape: [2, 8, 8, 4], strides: 2, pad: 'same', dilations: 1 });
 * ```
 */
export const depthwiseConv2dNativeBackpropInputWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const dy = inputs.dy as TensorInfo;
  const filter = inputs.filter as TensorInfo;
  const { strides, dilations, pad, dimRoundingMode, inputShape } =
    attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs;
  expectUnitDilations(DepthwiseConv2dNativeBackpropInput, dilations);
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    true,
  );
  expectShape(DepthwiseConv2dNativeBackpropInput, 'dy', dy.shape, info.outShape);
  const { batchSize, inHeight, inWidth, inChannels, filterHeight, filterWidth, outChannels } = info;
  const multiplier = outChannels / inChannels;
  const p = inputGradientPadding(info);
  return withWasmScope(backend as BackendWasm, (scope) => {
    const spread = insertZeros(scope, dy, info.strideHeight, info.strideWidth);
    const flipped = scope.run('Reverse', { x: filter }, { dims: [0, 1] });
    const full = scope.run(
      'DepthwiseConv2dNative',
      { x: spread, filter: scope.view(flipped, [filterHeight, filterWidth, outChannels, 1]) },
      {
        strides: [1, 1],
        pad: [
          [0, 0],
          [p.top, p.bottom],
          [p.left, p.right],
          [0, 0],
        ],
        dilations: [1, 1],
      },
    );
    scope.release(flipped);
    const dxAll = crop(scope, full, [0, p.cropTop, p.cropLeft, 0], [batchSize, inHeight, inWidth, outChannels]);
    if (multiplier === 1) return dxAll;
    const perMultiplier = scope.view(dxAll, [batchSize, inHeight, inWidth, inChannels, multiplier]);
    return scope.run('Sum', { x: perMultiplier }, { axis: [4], keepDims: false });
  });
};

/**
 * Kernel registration record of {@link depthwiseConv2dNativeBackpropInputWasm}.
 *
 * @example
 * ```ts
 * tf.registerKernel(depthwiseConv2dNativeBackpropInputWasmConfig);
 * ```
 */
export const depthwiseConv2dNativeBackpropInputWasmConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInputWasm,
};
