import type { KernelConfig, KernelFunc, TensorInfo, TileAttrs } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { ReplacingKernelConfig } from './replacing-kernel-config';

type HeapArray = Float32Array | Int32Array | Uint8Array;

/** Copies `out[start, start + block)` after itself until it fills `block * times` elements. */
function repeatBlock(out: HeapArray, start: number, block: number, times: number): void {
  const total = block * times;
  for (let filled = block; filled < total; ) {
    const n = Math.min(filled, total - filled);
    out.copyWithin(start + filled, start, start + n);
    filled += n;
  }
}

/**
 * Replaces the wasm backend's `Tile` (which computes every output element's source index with
 * heap-allocated vectors, and dominates training time of BatchNormalization models: BN's
 * gradient tiles its statistics to the activations' shape) with block copies: each innermost
 * row of `x` is copied once and every tiled block is repeated with `copyWithin`, doubling each
 * time. Exact (it only copies); string tensors go to the original kernel.
 *
 * @example
 * ```ts
 * const original = tf.getKernel('Tile', 'wasm')!;
 * tf.unregisterKernel('Tile', 'wasm');
 * tf.registerKernel(fastTile(original));
 * ```
 */
export function fastTile(original: KernelConfig): ReplacingKernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype === 'string' || x.dtype === 'complex64') return original.kernelFunc(args);
    const { reps } = args.attrs as unknown as TileAttrs;
    const wasm = args.backend as BackendWasm;
    const rank = x.shape.length;
    const outShape = x.shape.map((d, i) => d * reps[i]);
    const out = wasm.makeOutput(outShape, x.dtype);
    if (outShape.some((d) => d === 0)) return out;
    const xs = wasm.typedArrayFromHeap(x) as HeapArray;
    const os = wasm.typedArrayFromHeap(out) as HeapArray;
    if (rank === 0) {
      os.set(xs);
      return out;
    }
    const xStrides = new Array<number>(rank);
    const oStrides = new Array<number>(rank);
    xStrides[rank - 1] = 1;
    oStrides[rank - 1] = 1;
    for (let i = rank - 2; i >= 0; i--) {
      xStrides[i] = xStrides[i + 1] * x.shape[i + 1];
      oStrides[i] = oStrides[i + 1] * outShape[i + 1];
    }
    const fill = (dim: number, xOffset: number, oOffset: number): void => {
      const length = x.shape[dim];
      if (dim === rank - 1) {
        os.set(xs.subarray(xOffset, xOffset + length), oOffset);
      } else {
        for (let i = 0; i < length; i++) fill(dim + 1, xOffset + i * xStrides[dim], oOffset + i * oStrides[dim]);
      }
      repeatBlock(os, oOffset, length * oStrides[dim], reps[dim]);
    };
    fill(0, 0, 0);
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
