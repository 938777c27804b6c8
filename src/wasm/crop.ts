import type { TensorInfo } from '@tensorflow/tfjs';
import type { WasmScope } from './with-wasm-scope';

/**
 * The block of `x` that starts at `begin` and has shape `size`, with the wasm `Slice` kernel.
 * Returns `x` itself (no copy) when the block is the whole tensor.
 *
 * @example
 * ```ts
 * // g: [C, 4, 4, O] -> [C, 3, 3, O]
 * const dw = crop(scope, g, [0, 0, 0, 0], [c, 3, 3, o]);
 * ```
 */
export function crop(scope: WasmScope, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
  const whole = begin.every((b) => b === 0) && size.every((s, i) => s === x.shape[i]);
  if (whole) return x;
  return scope.run('Slice', { x }, { begin, size });
}
