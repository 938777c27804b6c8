import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { ReplacingKernelConfig } from './replacing-kernel-config';

/**
 * Wraps one of the wasm backend's fused kernels (`FusedConv2D`, `FusedDepthwiseConv2D`,
 * `_FusedMatMul`) so that it accepts a rank-1 bias whose buffer was first created with another
 * shape of the same size. Those kernels check the shape recorded when the buffer was allocated,
 * not the tensor's own shape, so a bias produced by `tf.gather` or a reshape (e.g. a layer pruned
 * by tfjs-prune's surgery) fails with "only supports rank-1 bias but got rank 4". The wrapper
 * re-records the buffer's shape as the bias's rank-1 shape (same size, data untouched) and calls
 * the original kernel, so XNNPACK's operator cache keeps working.
 *
 * @example
 * ```ts
 * const original = tf.getKernel('FusedConv2D', 'wasm')!;
 * tf.unregisterKernel('FusedConv2D', 'wasm');
 * tf.registerKernel(tolerateReshapedBias(original));
 * ```
 */
export function tolerateReshapedBias(original: KernelConfig): ReplacingKernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const bias = args.inputs.bias as TensorInfo | undefined;
    if (bias != null && bias.shape.length === 1) {
      const data = (args.backend as BackendWasm).dataIdMap.get(bias.dataId);
      if (data !== undefined && data.shape.length !== 1 && data.shape.reduce((a, b) => a * b, 1) === bias.shape[0]) {
        data.shape = [bias.shape[0]];
      }
    }
    return original.kernelFunc(args);
  };
  return {
    kernelName: original.kernelName,
    backendName: original.backendName,
    kernelFunc,
    // The original's setup (run when the backend initialises) binds its wasm function.
    setupFunc: original.setupFunc,
    disposeFunc: original.disposeFunc,
    replaced: original,
  };
}
