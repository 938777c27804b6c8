import { env, type KernelBackend } from '@tensorflow/tfjs';
import type { NodeBuiltins } from './node-builtins';
import { nodePthreadWorkers } from './node-pthread-workers';

/** A backend factory as `tf.registerBackend` takes it. */
export type BackendFactory = () => KernelBackend | Promise<KernelBackend>;

/**
 * A wasm backend factory made by {@link threadedWasmFactory}: it carries the factory it wraps and
 * the thread count, so a later call can recognise, keep or undo it (no module state).
 *
 * @example
 * ```ts
 * const entry = tf.findBackendFactory('wasm') as ThreadedWasmFactory;
 * if ('threads' in entry) console.log(`wasm will start ${entry.threads} threads`);
 * ```
 */
export interface ThreadedWasmFactory {
  (): Promise<KernelBackend>;
  /** The factory the wasm backend registered itself with (single-threaded in Node). */
  readonly original: BackendFactory;
  /** Threads asked for. */
  readonly threads: number;
}

/** How long the threaded start may take before the single-threaded build is used instead. */
const START_TIMEOUT_MS = 60_000;

/** What the Emscripten module of a started wasm backend exposes that this file reads. */
interface StartedWasm {
  wasm?: { tfjs?: { getThreadsCount?: () => number } };
  dispose(): void;
}

/**
 * Whether a registered backend factory is one {@link threadedWasmFactory} made.
 *
 * @example
 * ```ts
 * isThreadedWasmFactory(tf.findBackendFactory('wasm')); // true after enableWasmTraining({ threads: 2 })
 * ```
 */
export function isThreadedWasmFactory(factory: BackendFactory | null | undefined): factory is ThreadedWasmFactory {
  return typeof factory === 'function' && Object.prototype.hasOwnProperty.call(factory, 'original');
}

/**
 * Runs `fn` while `os.cpus()` reports `2 * threads` cores: the wasm backend's C++ sizes its
 * thread pool as min(requested, 8, logical cores / 2) from the core count it reads once, when the
 * module starts, so this count decides the pool size. Restored as soon as `fn` settles.
 */
async function withReportedCores<T>(os: NodeBuiltins['os'], threads: number, fn: () => Promise<T>): Promise<T> {
  const cpus = os.cpus;
  const own = Object.prototype.hasOwnProperty.call(os, 'cpus');
  os.cpus = () => {
    const real = cpus.call(os);
    return Array.from({ length: 2 * threads }, (_, i) => real[i % Math.max(real.length, 1)]);
  };
  try {
    return await fn();
  } finally {
    if (own) os.cpus = cpus;
    else delete (os as { cpus?: unknown }).cpus;
  }
}

/**
 * Runs `fn` while the global `Worker` is `StandIn`: the Emscripten glue assigns Node's `Worker`
 * to the global when it starts and constructs its pthread workers from it; the assignment is
 * taken as the value to leave behind. Afterwards the global is what it was before, or, if there
 * was none, what the glue assigned (as TF.js alone would leave it).
 */
async function withGlobalWorker<T>(StandIn: unknown, fn: () => Promise<T>): Promise<T> {
  const g = globalThis as Record<string, unknown>;
  const before = Object.getOwnPropertyDescriptor(g, 'Worker');
  let assigned: unknown = before?.value;
  Object.defineProperty(g, 'Worker', {
    configurable: true,
    enumerable: false,
    get: () => StandIn,
    set: (v: unknown) => {
      assigned = v;
    },
  });
  try {
    return await fn();
  } finally {
    if (before !== undefined) Object.defineProperty(g, 'Worker', before);
    else if (assigned !== undefined) Object.defineProperty(g, 'Worker', { configurable: true, writable: true, enumerable: false, value: assigned });
    else delete g.Worker;
  }
}

/** Rejects after `ms` (the timer does not keep the process alive on its own). */
function timeout(ms: number, clear: { timer?: ReturnType<typeof setTimeout> }): Promise<never> {
  return new Promise((_, reject) => {
    clear.timer = setTimeout(() => reject(new Error(`the threaded start took more than ${ms / 1000} s`)), ms);
  });
}

/** Starts the threaded build once; resolves with the backend or rejects with why it failed. */
async function startThreaded(original: BackendFactory, threads: number, builtins: NodeBuiltins): Promise<KernelBackend> {
  const workers = nodePthreadWorkers(builtins);
  const clock: { timer?: ReturnType<typeof setTimeout> } = {};
  env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  const starting = Promise.resolve().then(() =>
    withGlobalWorker(workers.Worker, () => withReportedCores(builtins.os, threads, async () => original())),
  );
  try {
    const backend = await Promise.race([starting, workers.failed, timeout(START_TIMEOUT_MS, clock)]);
    workers.settle();
    const got = (backend as unknown as StartedWasm).wasm?.tfjs?.getThreadsCount?.();
    if (got !== threads) {
      backend.dispose();
      throw new Error(`the threaded build started ${String(got)} threads instead of ${threads}`);
    }
    return backend;
  } catch (e) {
    // A start that finishes after giving up must not leave threads behind.
    starting.then((late) => late.dispose(), () => undefined);
    workers.terminateAll();
    throw e;
  } finally {
    clearTimeout(clock.timer);
    // Read only when a backend starts; in Node TF.js's own answer is false, and a later start of
    // TF.js's own factory (after tf.removeBackend) must not try the threaded build without us.
    env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  }
}

/**
 * Wraps the wasm backend's registered factory so that, in Node, it starts TF.js's threaded SIMD
 * build with `threads` threads (see {@link nodePthreadWorkers} for what makes it work), and falls
 * back to the single-threaded build, with one `console.warn` saying why, if anything fails.
 *
 * @param original The factory `@tensorflow/tfjs-backend-wasm` registered.
 * @param threads Threads for the wasm backend's pool, 2..8.
 * @param builtins Node's built-ins (see `nodeBuiltins`).
 *
 * @example
 * ```ts
 * const original = tf.findBackendFactory('wasm');
 * tf.removeBackend('wasm');
 * tf.registerBackend('wasm', threadedWasmFactory(original, 2, builtins), 2);
 * ```
 */
export function threadedWasmFactory(original: BackendFactory, threads: number, builtins: NodeBuiltins): ThreadedWasmFactory {
  const factory = async (): Promise<KernelBackend> => {
    try {
      return await startThreaded(original, threads, builtins);
    } catch (e) {
      console.warn(
        `tfjs-prune: the wasm backend could not start ${threads} threads in Node (${e instanceof Error ? e.message : String(e)}); ` +
          'it runs single-threaded instead. Pass enableWasmTraining({ threads: false }) to skip the attempt.',
      );
      return original();
    }
  };
  return Object.assign(factory, { original, threads });
}
