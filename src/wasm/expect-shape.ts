import { PruneError } from '../errors';

/**
 * Throws a `PruneError` ('INVALID_OPTION') unless `actual` equals `expected`: the composed wasm
 * kernels read tensors by the geometry their attributes imply, so a mismatch must stop them.
 *
 * @example
 * ```ts
 * expectShape('Conv2DBackpropFilter', 'dy', dy.shape, convInfo.outShape);
 * ```
 */
export function expectShape(kernelName: string, what: string, actual: readonly number[], expected: readonly number[]): void {
  const same = actual.length === expected.length && actual.every((d, i) => d === expected[i]);
  if (!same) {
    throw new PruneError(
      'INVALID_OPTION',
      `${kernelName} (wasm, tfjs-prune): ${what} has shape [${actual.join(', ')}] but the strides, ` +
        `padding and shapes given imply [${expected.join(', ')}]. Pass tensors and attributes of ` +
        `one convolution (as tfjs-core's gradient functions do).`,
    );
  }
}
