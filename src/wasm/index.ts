/**
 * Opt-in training support for the TF.js wasm backend: the gradient kernels it lacks and faster
 * replacements for slow ones. Importing this module registers nothing; call
 * {@link enableWasmTraining} once, after importing `@tensorflow/tfjs-backend-wasm`.
 *
 * @module tfjs-prune/wasm
 */
// Entry point `tfjs-prune/wasm`: opt-in training support for the TF.js wasm backend.
// Named exports only. Importing this file registers nothing; call enableWasmTraining().
export { enableWasmTraining } from './enable-wasm-training';
export type { EnableWasmTrainingOptions, WasmTrainingKernels } from './enable-wasm-training';
export { conv2DBackpropFilterWasm, conv2DBackpropFilterWasmConfig } from './conv2d-backprop-filter';
export { conv2DBackpropInputWasm, conv2DBackpropInputWasmConfig } from './conv2d-backprop-input';
export {
  depthwiseConv2dNativeBackpropFilterWasm,
  depthwiseConv2dNativeBackpropFilterWasmConfig,
} from './depthwise-conv2d-native-backprop-filter';
export {
  depthwiseConv2dNativeBackpropInputWasm,
  depthwiseConv2dNativeBackpropInputWasmConfig,
} from './depthwise-conv2d-native-backprop-input';
export { maxPoolGradWasm, maxPoolGradWasmConfig } from './max-pool-grad';
export { unsortedSegmentSumWasm, unsortedSegmentSumWasmConfig } from './unsorted-segment-sum';
export { fastBatchNorm } from './fast-batch-norm';
export { fastReduce } from './fast-reduce';
export { fastSlice } from './fast-slice';
export { fastTile } from './fast-tile';
export { tolerateReshapedBias } from './tolerate-reshaped-bias';
export type { ReplacingKernelConfig } from './replacing-kernel-config';
export { PruneError } from '../errors';
export type { PruneErrorCode } from '../errors';
