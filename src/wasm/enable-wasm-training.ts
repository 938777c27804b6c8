import {
  Conv2DBackpropInput,
  findBackendFactory,
  getKernel,
  registerKernel,
  unregisterKernel,
  type KernelConfig,
} from '@tensorflow/tfjs';
import { PruneError } from '../errors';
import { conv2DBackpropFilterWasmConfig } from './conv2d-backprop-filter';
import { conv2DBackpropInputWasm } from './conv2d-backprop-input';
import { depthwiseConv2dNativeBackpropFilterWasmConfig } from './depthwise-conv2d-native-backprop-filter';
import { depthwiseConv2dNativeBackpropInputWasmConfig } from './depthwise-conv2d-native-backprop-input';
import { fastBatchNorm } from './fast-batch-norm';
import { fastReduce } from './fast-reduce';
import { fastSlice } from './fast-slice';
import { fastTile } from './fast-tile';
import { maxPoolGradWasm } from './max-pool-grad';
import { isReplacingKernelConfig, type ReplacingKernelConfig } from './replacing-kernel-config';
import { tolerateReshapedBias } from './tolerate-reshaped-bias';
import { unsortedSegmentSumWasmConfig } from './unsorted-segment-sum';
import { applyWasmThreads, planWasmThreads, type WasmThreadsPlan } from './wasm-threads';

/**
 * Options of {@link enableWasmTraining}.
 *
 * @example
 * ```ts
 * enableWasmTraining({ fastConv2DBackpropInput: false }); // keep wasm's own Conv2DBackpropInput
 * ```
 */
export interface EnableWasmTrainingOptions {
  /**
   * Replace the wasm backend's own `Conv2DBackpropInput` (a plain loop) with tfjs-prune's
   * XNNPACK formulation (zero insertion + flipped-filter convolution): same results to float
   * tolerance, several times faster on most shapes (see docs/benchmarks.md). `false` restores
   * the wasm backend's kernel if an earlier call replaced it. Default: `true`.
   */
  fastConv2DBackpropInput?: boolean;
  /**
   * Threads for the wasm backend in Node (TF.js itself never starts its threaded build there):
   * `true` for every core Node reports (`os.availableParallelism()`, at most 8), an integer from
   * 1 to 8, or `false`/`1` for the single-threaded build. Takes effect when the backend starts,
   * so call `enableWasmTraining` before `tf.setBackend('wasm')`/`tf.ready()`. If the threaded
   * build cannot start (an old Node without `process.getBuiltinModule`, a worker that fails), the
   * backend starts single-threaded and one `console.warn` says why. The pthread workers never keep
   * the process alive and end with the backend (`tf.removeBackend('wasm')`). In a browser this
   * option does nothing: TF.js starts its threaded build by itself when the page is
   * cross-origin isolated (COOP/COEP headers). Default: the thread setting is left as it is
   * (single-threaded in Node unless an earlier call asked for threads).
   */
  threads?: boolean | number;
}

/**
 * What {@link enableWasmTraining} set up, by kernel name.
 *
 * @example
 * ```ts
 * const { added, replaced } = enableWasmTraining();
 * console.log(`wasm: ${added.length} kernels added, ${replaced.length} replaced`);
 * ```
 */
export interface WasmTrainingKernels {
  /** Gradient kernels the wasm backend lacks, now provided by tfjs-prune. */
  added: string[];
  /** wasm kernels now served by tfjs-prune's replacement or wrapper of the backend's own. */
  replaced: string[];
}

/** The gradient kernels the wasm backend of TF.js 4.x lacks and tfjs-prune provides. */
const MISSING_KERNELS: readonly KernelConfig[] = [
  conv2DBackpropFilterWasmConfig,
  depthwiseConv2dNativeBackpropFilterWasmConfig,
  depthwiseConv2dNativeBackpropInputWasmConfig,
  unsortedSegmentSumWasmConfig,
];

/** A replacement that delegates to, or stands in for, the wasm kernel it replaces. */
type Replacement = (current: KernelConfig) => ReplacingKernelConfig;

const standIn =
  (kernelFunc: KernelConfig['kernelFunc']): Replacement =>
  (current) => ({
    kernelName: current.kernelName,
    backendName: 'wasm',
    kernelFunc,
    // Keeps the replaced kernel's setup running at backend start, so restoring it works.
    setupFunc: current.setupFunc,
    disposeFunc: current.disposeFunc,
    replaced: current,
  });

/**
 * wasm 4.22 kernels that are always replaced: the fused kernels check a bias buffer's
 * allocation shape instead of the tensor's shape; MaxPoolGrad drops the gradient of windows
 * whose maximum is not positive; Tile is slow enough to dominate BatchNormalization training;
 * Slice copies its whole input each time (batched predict becomes quadratic); FusedBatchNorm is a
 * scalar loop with a division per element (half of a MobileNetV2's inference time); Sum and Mean
 * over leading axes (BatchNormalization statistics, bias gradients) transpose their whole input
 * first (a fifth of a conv net's training step).
 */
const ALWAYS_REPLACED: ReadonlyArray<[string, Replacement]> = [
  ['FusedConv2D', tolerateReshapedBias],
  ['FusedDepthwiseConv2D', tolerateReshapedBias],
  ['_FusedMatMul', tolerateReshapedBias],
  ['MaxPoolGrad', standIn(maxPoolGradWasm)],
  ['Tile', fastTile],
  ['Slice', fastSlice],
  ['FusedBatchNorm', fastBatchNorm],
  ['Sum', fastReduce],
  ['Mean', fastReduce],
];

function replaceKernel(config: ReplacingKernelConfig): void {
  if (getKernel(config.kernelName, 'wasm') !== undefined) unregisterKernel(config.kernelName, 'wasm');
  registerKernel(config);
}

function validate(options: EnableWasmTrainingOptions): { fast: boolean; threads: WasmThreadsPlan } {
  if (options === null || typeof options !== 'object') {
    throw new PruneError(
      'INVALID_OPTION',
      `enableWasmTraining expects an options object or nothing, got ${String(options)}. ` +
        'Call enableWasmTraining() or enableWasmTraining({ fastConv2DBackpropInput: false }).',
    );
  }
  const fast = options.fastConv2DBackpropInput ?? true;
  if (typeof fast !== 'boolean') {
    throw new PruneError(
      'INVALID_OPTION',
      `enableWasmTraining: fastConv2DBackpropInput must be a boolean (default true), got ` +
        `${JSON.stringify(fast)}. Pass true, false, or leave it out.`,
    );
  }
  if (findBackendFactory('wasm') == null || getKernel('Conv2D', 'wasm') === undefined) {
    throw new PruneError(
      'BACKEND_UNAVAILABLE',
      'enableWasmTraining: the TF.js wasm backend is not registered, so there is nothing to enable. ' +
        'Install @tensorflow/tfjs-backend-wasm (same version as @tensorflow/tfjs) and import it ' +
        "before this call: `import '@tensorflow/tfjs-backend-wasm';`.",
    );
  }
  return { fast, threads: planWasmThreads(options.threads) };
}

/**
 * Makes `model.fit`, `tf.grads` and optimizers work, correctly and fast, on the `wasm` backend
 * for the models tfjs-prune handles (Conv2D, DepthwiseConv2D, SeparableConv2D, Conv2DTranspose,
 * BatchNormalization, pooling, Dense, Embedding...):
 * - registers the gradient kernels wasm 4.x lacks (`Conv2DBackpropFilter`,
 *   `DepthwiseConv2dNativeBackpropFilter`, `DepthwiseConv2dNativeBackpropInput`, built from
 *   XNNPACK kernels wasm already has, and `UnsortedSegmentSum`, the gradient of `tf.gather`);
 *   kernels the backend provides itself are left alone;
 * - by default replaces wasm's slow `Conv2DBackpropInput` with a faster one (option below);
 * - replaces wasm 4.22's `MaxPoolGrad`, which loses the gradient of windows whose maximum is
 *   not positive, its slow `Tile`, which dominates BatchNormalization training, and its `Slice`,
 *   which copies the whole input per call (so batched `predict` is quadratic in the samples),
 *   and its `FusedBatchNorm` (a scalar loop with a division per element) with a vectorized
 *   `x * s + t` on per-channel `s`, `t`, same results to float32 rounding, and its `Sum` and
 *   `Mean` over leading axes (BatchNormalization statistics and gradients, bias gradients), which
 *   transpose their whole input first, with a row-by-row sum without transpose;
 * - wraps `FusedConv2D`, `FusedDepthwiseConv2D` and `_FusedMatMul` so they accept a bias made by
 *   `tf.gather` or a reshape (as pruned layers' biases are), which wasm 4.22 wrongly rejects
 *   ("only supports rank-1 bias but got rank 4").
 *
 * - with `threads`, starts the wasm backend's threaded build in Node (see
 *   {@link EnableWasmTrainingOptions.threads}); `tf.wasm.getThreadsCount()` of
 *   `@tensorflow/tfjs-backend-wasm` tells how many threads it got once started.
 *
 * Import `@tensorflow/tfjs-backend-wasm` first. The call is synchronous and idempotent and may
 * come before or after `tf.setBackend('wasm')` (with `threads`, before it). Kernel registration is global in TF.js: it
 * affects everything running on the wasm backend in this JS realm, and nothing else.
 *
 * @param options See {@link EnableWasmTrainingOptions}.
 * @returns The kernel names tfjs-prune now provides or serves on wasm.
 * @throws PruneError `BACKEND_UNAVAILABLE` when the wasm backend is not registered;
 *   `INVALID_OPTION` for a malformed option, or for a `threads` count other than the one the
 *   wasm backend already started with.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import '@tensorflow/tfjs-backend-wasm';
 * import { enableWasmTraining } from 'tfjs-prune/wasm';
 *
 * enableWasmTraining(); // { added: ['Conv2DBackpropFilter', ...], replaced: [...] }
 * await tf.setBackend('wasm');
 * await model.fit(xTrain, yTrain, { epochs: 1 }); // conv layers now train on wasm
 * ```
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import '@tensorflow/tfjs-backend-wasm';
 * import { enableWasmTraining } from 'tfjs-prune/wasm';
 *
 * enableWasmTraining({ threads: true }); // Node: one thread per core, up to 8
 * await tf.setBackend('wasm');
 * ```
 */
export function enableWasmTraining(options: EnableWasmTrainingOptions = {}): WasmTrainingKernels {
  const { fast, threads } = validate(options);
  const added: string[] = [];
  const replaced: string[] = [];

  for (const config of MISSING_KERNELS) {
    const current = getKernel(config.kernelName, 'wasm');
    if (current === undefined) registerKernel(config);
    if (current === undefined || current.kernelFunc === config.kernelFunc) added.push(config.kernelName);
  }

  for (const [name, replacement] of ALWAYS_REPLACED) {
    const current = getKernel(name, 'wasm');
    if (current === undefined) continue;
    if (!isReplacingKernelConfig(current)) replaceKernel(replacement(current));
    replaced.push(name);
  }

  const currentInput = getKernel(Conv2DBackpropInput, 'wasm');
  const inputIsOurs = currentInput !== undefined && currentInput.kernelFunc === conv2DBackpropInputWasm;
  if (fast && !inputIsOurs) {
    replaceKernel(
      currentInput === undefined
        ? { kernelName: Conv2DBackpropInput, backendName: 'wasm', kernelFunc: conv2DBackpropInputWasm, replaced: undefined }
        : standIn(conv2DBackpropInputWasm)(currentInput),
    );
  } else if (!fast && inputIsOurs) {
    const { replaced: original } = currentInput as ReplacingKernelConfig;
    unregisterKernel(Conv2DBackpropInput, 'wasm');
    if (original !== undefined) registerKernel(original);
  }
  if (fast) replaced.push(Conv2DBackpropInput);
  applyWasmThreads(threads);
  return { added, replaced };
}
