import { engine, registerBackend, removeBackend } from '@tensorflow/tfjs';
import { PruneError } from '../errors';
import { nodeBuiltins, type NodeBuiltins } from './node-builtins';
import { isThreadedWasmFactory, threadedWasmFactory, type BackendFactory } from './threaded-wasm-factory';

/** The wasm backend's pthread pool holds 8 workers; its C++ never uses more threads. */
export const MAX_WASM_THREADS = 8;

/**
 * What `enableWasmTraining({ threads })` will do about threads, decided up front (nothing changed
 * yet): keep things as they are, or register the wasm backend's factory for `count` threads (1:
 * TF.js's own single-threaded factory). `warning` is the one warning to print when threads were
 * asked for but this host cannot have them.
 *
 * @example
 * ```ts
 * const plan = planWasmThreads(2); // { kind: 'set', count: 2, builtins } in Node 20.16+
 * ```
 */
export type WasmThreadsPlan =
  | { kind: 'keep'; warning?: string }
  | { kind: 'set'; count: number; builtins?: NodeBuiltins };

const wasmFactory = (): BackendFactory | undefined => engine().registryFactory.wasm?.factory;

function threadsNow(): number {
  const factory = wasmFactory();
  return isThreadedWasmFactory(factory) ? factory.threads : 1;
}

/**
 * Checks the `threads` option of `enableWasmTraining` and decides what to do (see
 * {@link WasmThreadsPlan}); throws `INVALID_OPTION` for a malformed value or when the wasm backend
 * already started with another thread count.
 *
 * @example
 * ```ts
 * planWasmThreads(true); // all the cores Node reports, at most 8
 * ```
 */
export function planWasmThreads(threads: boolean | number | undefined): WasmThreadsPlan {
  if (threads === undefined) return { kind: 'keep' };
  const valid = typeof threads === 'boolean' || (Number.isInteger(threads) && threads >= 1 && threads <= MAX_WASM_THREADS);
  if (!valid) {
    throw new PruneError(
      'INVALID_OPTION',
      `enableWasmTraining: threads must be true (every core Node reports, at most ${MAX_WASM_THREADS}), false, or an ` +
        `integer from 1 to ${MAX_WASM_THREADS} (the wasm backend's pool has ${MAX_WASM_THREADS} workers), got ` +
        `${JSON.stringify(threads)}. Pass e.g. { threads: 4 }.`,
    );
  }
  const builtins = threads === false || threads === 1 ? undefined : nodeBuiltins();
  if (typeof builtins === 'string') {
    // A browser keeps TF.js's own threading (cross-origin isolation decides); say nothing there.
    const inNode = typeof (globalThis as { process?: { versions?: { node?: unknown } } }).process?.versions?.node === 'string';
    return inNode
      ? { kind: 'keep', warning: `tfjs-prune: enableWasmTraining({ threads }) cannot start wasm threads: ${builtins}; the wasm backend stays single-threaded.` }
      : { kind: 'keep' };
  }
  const cores = builtins === undefined ? 1 : (builtins.os.availableParallelism?.() ?? builtins.os.cpus().length);
  const count = threads === true ? Math.max(1, Math.min(cores, MAX_WASM_THREADS)) : threads === false ? 1 : threads;
  const started = engine().registry.wasm !== undefined;
  if (started && count !== threadsNow()) {
    throw new PruneError(
      'INVALID_OPTION',
      `enableWasmTraining({ threads: ${JSON.stringify(threads)} }) came after the wasm backend started with ` +
        `${threadsNow()} thread(s); the thread count is fixed when the backend starts. Call enableWasmTraining ` +
        "before tf.setBackend('wasm') or tf.ready(), or leave the threads option out.",
    );
  }
  return started ? { kind: 'keep' } : { kind: 'set', count, builtins };
}

/**
 * Carries out a {@link WasmThreadsPlan}: re-registers the wasm backend's factory (same priority)
 * as the threaded one or TF.js's own, unless it already is that.
 *
 * @example
 * ```ts
 * applyWasmThreads(planWasmThreads(2));
 * await tf.setBackend('wasm'); // starts 2 threads in Node
 * ```
 */
export function applyWasmThreads(plan: WasmThreadsPlan): void {
  if (plan.kind === 'keep') {
    if (plan.warning !== undefined) console.warn(plan.warning);
    return;
  }
  const entry = engine().registryFactory.wasm;
  if (entry === undefined || plan.count === threadsNow()) return;
  const original = isThreadedWasmFactory(entry.factory) ? entry.factory.original : entry.factory;
  const factory = plan.count > 1 && plan.builtins !== undefined ? threadedWasmFactory(original, plan.count, plan.builtins) : original;
  removeBackend('wasm');
  registerBackend('wasm', factory, entry.priority);
}
