import {
  UnsortedSegmentSum,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
  type UnsortedSegmentSumAttrs,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * `UnsortedSegmentSum` for the wasm backend, which lacks it; it is the gradient of `tf.gather`
 * (so of Embedding layers). Row `i` of `x` (over the leading `segmentIds` dimensions) is added
 * to row `segmentIds[i]` of the `[numSegments, ...]` output; ids outside `[0, numSegments)` are
 * dropped, as on the cpu backend. Runs in JS over the wasm heap.
 *
 * @example
 * ```ts
 * tf.unsortedSegmentSum(tf.tensor2d([[1, 2], [3, 4], [5, 6]]), tf.tensor1d([1, 0, 1], 'int32'), 2);
 * // [[3, 4], [6, 8]]
 * ```
 */
export const unsortedSegmentSumWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const x = inputs.x as TensorInfo;
  const segmentIds = inputs.segmentIds as TensorInfo;
  const { numSegments } = attrs as unknown as UnsortedSegmentSumAttrs;
  const rows = segmentIds.shape.reduce((a, b) => a * b, 1);
  const rowShape = x.shape.slice(segmentIds.shape.length);
  const rowSize = rowShape.reduce((a, b) => a * b, 1);
  const wasm = backend as BackendWasm;
  const out = wasm.makeOutput([numSegments, ...rowShape], x.dtype);
  const xs = wasm.typedArrayFromHeap(x);
  const ids = wasm.typedArrayFromHeap(segmentIds);
  const sums = wasm.typedArrayFromHeap(out);
  sums.fill(0);
  for (let i = 0; i < rows; i++) {
    const id = ids[i];
    if (!(id >= 0 && id < numSegments)) continue;
    const from = i * rowSize;
    const to = id * rowSize;
    for (let j = 0; j < rowSize; j++) sums[to + j] += xs[from + j];
  }
  return out;
};

/**
 * Kernel registration record of {@link unsortedSegmentSumWasm} for `tf.registerKernel`.
 *
 * @example
 * ```ts
 * tf.registerKernel(unsortedSegmentSumWasmConfig);
 * ```
 */
export const unsortedSegmentSumWasmConfig: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSumWasm,
};
