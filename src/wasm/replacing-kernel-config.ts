import type { KernelConfig } from '@tensorflow/tfjs';

/**
 * A kernel registry entry by which tfjs-prune replaced one of the wasm backend's own kernels.
 * The replaced entry travels with it (no module state), so it can be restored or delegated to,
 * and its `setupFunc` is carried over so the backend still initialises it.
 *
 * @example
 * ```ts
 * enableWasmTraining();
 * const entry = tf.getKernel('MaxPoolGrad', 'wasm') as ReplacingKernelConfig;
 * entry.replaced; // the wasm backend's own MaxPoolGrad
 * ```
 */
export interface ReplacingKernelConfig extends KernelConfig {
  /** The wasm backend's own kernel that this entry replaced (absent if there was none). */
  readonly replaced?: KernelConfig;
}

/**
 * Whether a registry entry is one of tfjs-prune's replacements.
 *
 * @example
 * ```ts
 * const current = tf.getKernel('FusedConv2D', 'wasm');
 * if (current && isReplacingKernelConfig(current)) console.log('already replaced');
 * ```
 */
export function isReplacingKernelConfig(config: KernelConfig): config is ReplacingKernelConfig {
  return Object.prototype.hasOwnProperty.call(config, 'replaced');
}
