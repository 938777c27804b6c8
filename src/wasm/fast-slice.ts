import { slice_util, type KernelConfig, type KernelFunc, type SliceAttrs, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { ReplacingKernelConfig } from './replacing-kernel-config';

type HeapArray = Float32Array | Int32Array | Uint8Array;

/**
 * Replaces the wasm backend's `Slice`, which first copies the whole input out of the wasm heap
 * (`readSync`) and so costs the input's size for every slice: `model.predict(x, {batchSize})`
 * slices each batch out of the full input and becomes quadratic in the number of samples. This
 * one copies only the slice, straight between heap views: one block for a contiguous slice,
 * one row per innermost run otherwise. Exact (it only copies); strings go to the original.
 *
 * @example
 * ```ts
 * const original = tf.getKernel('Slice', 'wasm')!;
 * tf.unregisterKernel('Slice', 'wasm');
 * tf.registerKernel(fastSlice(original));
 * ```
 */
export function fastSlice(original: KernelConfig): ReplacingKernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype === 'string' || x.dtype === 'complex64') return original.kernelFunc(args);
    const { begin, size } = args.attrs as unknown as SliceAttrs;
    const [start, extent] = slice_util.parseSliceParams(x, begin, size);
    slice_util.assertParamsValid(x, start, extent);
    const wasm = args.backend as BackendWasm;
    const out = wasm.makeOutput(extent, x.dtype);
    if (extent.some((d) => d === 0)) return out;
    const xs = wasm.typedArrayFromHeap(x) as HeapArray;
    const os = wasm.typedArrayFromHeap(out) as HeapArray;
    const rank = x.shape.length;
    const strides = new Array<number>(rank).fill(1);
    for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1] * x.shape[i + 1];
    if (rank === 0 || slice_util.isSliceContinous(x.shape, start, extent)) {
      const offset = rank === 0 ? 0 : slice_util.computeFlatOffset(start, strides);
      os.set(xs.subarray(offset, offset + os.length));
      return out;
    }
    const row = extent[rank - 1];
    let written = 0;
    const copy = (dim: number, offset: number): void => {
      if (dim === rank - 1) {
        os.set(xs.subarray(offset + start[dim], offset + start[dim] + row), written);
        written += row;
        return;
      }
      for (let i = 0; i < extent[dim]; i++) copy(dim + 1, offset + (start[dim] + i) * strides[dim]);
    };
    copy(0, 0);
    return out;
  };
  return {
    kernelName: original.kernelName,
    backendName: original.backendName,
    kernelFunc,
    setupFunc: original.setupFunc,
    disposeFunc: original.disposeFunc,
    replaced: original,
  };
}
