import type { FusedBatchNormAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { ReplacingKernelConfig } from './replacing-kernel-config';
import { withWasmScope } from './with-wasm-scope';

const sizeOf = (t: TensorInfo): number => t.shape.reduce((a, b) => a * b, 1);

/** Row width (elements) the broadcast Multiply/Add are given at least, when rows allow it. */
const MIN_ROW = 512;

/**
 * How many rows of `length` to fold into one broadcast row: XNNPACK's broadcast kernels pay a
 * fixed cost per row, which dominates with few channels (a pruned 11-channel BN is as slow as a
 * 16-channel one). The largest divisor of `rows` up to `MIN_ROW / length` (at least 1).
 */
function rowsPerRow(rows: number, length: number): number {
  for (let k = Math.min(rows, Math.ceil(MIN_ROW / length)); k > 1; k--) if (rows % k === 0) return k;
  return 1;
}

/**
 * The common length of the statistics when the fast path applies: all given stats have the same
 * size `L`, `L` divides the size of `x` and is at most a quarter of it (with full-size stats the
 * per-element precomputation would cost as much as the original kernel). `undefined` otherwise.
 */
function statLength(x: TensorInfo, stats: TensorInfo[]): number | undefined {
  if (x.dtype !== 'float32' || stats.some((s) => s.dtype !== 'float32')) return undefined;
  const size = sizeOf(x);
  const length = sizeOf(stats[0]);
  if (size === 0 || length === 0 || stats.some((s) => sizeOf(s) !== length)) return undefined;
  return size % length === 0 && 4 * length <= size ? length : undefined;
}

/**
 * Replaces the wasm backend's `FusedBatchNorm` (a scalar loop with a square root and a division
 * per element, about half of a MobileNetV2's wasm inference time although batch norm is 2% of
 * its MACs) with `x * s + t`: the per-channel `s = scale / sqrt(variance + eps)` and
 * `t = offset - mean * s` are computed once (tiny vectors), then applied by the backend's
 * vectorized XNNPACK `Multiply` and `Add`, broadcast over `x` seen as `[size / W, W]`, where the
 * rows of `W = k * L` elements hold `k` repetitions of `s` and `t` (XNNPACK's per-row cost would
 * otherwise dominate with few channels).
 *
 * Same semantics as the original and the cpu backend: every statistic (mean, variance, optional
 * offset and scale) is read cyclically over `x`'s elements, which covers rank-1 `[C]` stats and
 * stats already broadcast to `[1, 1, 1, C]`. Results equal the original to float32 rounding
 * (the affine form rounds differently from `(x - mean) * scale / sqrt(...) + offset`). Stats of
 * different sizes, full-size stats, non-float32 or empty tensors go to the original kernel.
 *
 * @example
 * ```ts
 * const original = tf.getKernel('FusedBatchNorm', 'wasm')!;
 * tf.unregisterKernel('FusedBatchNorm', 'wasm');
 * tf.registerKernel(fastBatchNorm(original));
 * ```
 */
export function fastBatchNorm(original: KernelConfig): ReplacingKernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { x, mean, variance, offset, scale } = args.inputs as Record<string, TensorInfo | undefined>;
    if (x === undefined || mean === undefined || variance === undefined) return original.kernelFunc(args);
    const given = [mean, variance, offset, scale].filter((t): t is TensorInfo => t != null);
    const length = statLength(x, given);
    if (length === undefined) return original.kernelFunc(args);
    const { varianceEpsilon } = args.attrs as unknown as FusedBatchNormAttrs;
    const wasm = args.backend as BackendWasm;
    const fold = rowsPerRow(sizeOf(x) / length, length);
    const width = fold * length;
    return withWasmScope(wasm, (scope) => {
      const s = scope.make([width]);
      const t = scope.make([width]);
      // Views taken after every allocation (an allocation may grow, and detach, the heap).
      const ss = wasm.typedArrayFromHeap(s) as Float32Array;
      const ts = wasm.typedArrayFromHeap(t) as Float32Array;
      const ms = wasm.typedArrayFromHeap(mean) as Float32Array;
      const vs = wasm.typedArrayFromHeap(variance) as Float32Array;
      const os = offset != null ? (wasm.typedArrayFromHeap(offset) as Float32Array) : undefined;
      const cs = scale != null ? (wasm.typedArrayFromHeap(scale) as Float32Array) : undefined;
      for (let i = 0; i < length; i++) {
        const k = (cs === undefined ? 1 : cs[i]) / Math.sqrt(vs[i] + varianceEpsilon);
        ss[i] = k;
        ts[i] = (os === undefined ? 0 : os[i]) - ms[i] * ss[i];
      }
      for (let k = 1; k < fold; k++) {
        ss.copyWithin(k * length, 0, length);
        ts.copyWithin(k * length, 0, length);
      }
      const rows = scope.view(x, [sizeOf(x) / width, width]);
      const scaled = scope.run('Multiply', { a: rows, b: s });
      const out = scope.run('Add', { a: scaled, b: t });
      return scope.view(out, x.shape.slice());
    });
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
