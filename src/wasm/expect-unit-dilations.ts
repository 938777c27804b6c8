import { PruneError } from '../errors';

/**
 * Throws a `PruneError` ('INVALID_OPTION') unless the dilations are 1 (or absent): the composed
 * depthwise backprop kernels implement undilated convolutions only, like the gradients tfjs-core
 * defines (which refuse dilation rates above 1).
 *
 * @example
 * ```ts
 * expectUnitDilations('DepthwiseConv2dNativeBackpropInput', attrs.dilations); // ok for 1 or [1, 1]
 * ```
 */
export function expectUnitDilations(kernelName: string, dilations: number | [number, number] | undefined): void {
  const [dh, dw] = dilations === undefined ? [1, 1] : typeof dilations === 'number' ? [dilations, dilations] : dilations;
  if (dh !== 1 || dw !== 1) {
    throw new PruneError(
      'INVALID_OPTION',
      `${kernelName} (wasm, tfjs-prune) got dilations [${dh}, ${dw}]; only 1 is supported, as in ` +
        `tfjs-core's depthwiseConv2d gradient. Use dilations 1 for layers you train on wasm.`,
    );
  }
}
