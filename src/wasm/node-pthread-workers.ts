import type { NodeBuiltins, NodeWorkerLike } from './node-builtins';
import { PTHREAD_WORKER_BOOTSTRAP } from './pthread-worker-bootstrap';

/**
 * The pthread workers of one threaded wasm backend start in Node: a `Worker` class to hand the
 * backend's Emscripten glue in place of Node's, and what the starter needs to finish or abandon
 * the start.
 *
 * @example
 * ```ts
 * const workers = nodePthreadWorkers(builtins);
 * // ... the backend's glue calls `new workers.Worker(blobUrl)` eight times ...
 * await Promise.race([backendReady, workers.failed]);
 * workers.settle(); // from now on, no worker keeps the process alive
 * ```
 */
export interface NodePthreadWorkers {
  /** Stands in for the global `Worker` while the backend starts: `new Worker(blobUrl)`. */
  readonly Worker: new (url: string | URL) => PthreadWorker;
  /** Rejects with the first error of a worker before {@link NodePthreadWorkers.settle}. */
  readonly failed: Promise<never>;
  /** The backend started: unref every worker (and the ones made later), forward later errors. */
  settle(): void;
  /** The start was abandoned: terminate every worker made so far. */
  terminateAll(): void;
}

/** One pthread worker as the Emscripten glue sees it (it adds its own fields to it). */
export interface PthreadWorker {
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
  on(event: string, listener: (...args: unknown[]) => void): PthreadWorker;
  ref(): void;
  unref(): void;
  terminate(): Promise<number>;
}

interface LoadMessage {
  cmd: 'load';
  urlOrBlob: unknown;
}

const isLoadMessage = (m: unknown): m is LoadMessage =>
  typeof m === 'object' && m !== null && (m as { cmd?: unknown }).cmd === 'load';

const isBlobLike = (b: unknown): b is { text(): Promise<string> } =>
  typeof b === 'object' && b !== null && typeof (b as { text?: unknown }).text === 'function';

const errorOf = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

/**
 * Makes the `Worker` stand-in that lets the wasm backend's threaded build start its pthreads in
 * Node, whose `Worker` refuses the `blob:` URLs TF.js gives it. Each stand-in starts a real
 * worker on {@link PTHREAD_WORKER_BOOTSTRAP} at once, reads the blob's text (async) and sends it
 * first; the messages the glue posts meanwhile wait in order behind it, and the module factory
 * the glue sends as a Blob in its `load` message is sent as text. Once everything queued has
 * gone out, messages go straight through (the main thread later blocks on its pthreads, so
 * nothing may wait on a promise then). Workers keep the process alive only while the backend
 * starts: `ref()` from the glue (when a pthread runs) is ignored once settled, so a finished
 * script exits on its own.
 *
 * @example
 * ```ts
 * const workers = nodePthreadWorkers(builtins);
 * Object.defineProperty(globalThis, 'Worker', { get: () => workers.Worker, set: () => {}, configurable: true });
 * ```
 */
export function nodePthreadWorkers(builtins: NodeBuiltins): NodePthreadWorkers {
  const made: NodeWorkerLike[] = [];
  let settled = false;
  let fail: (e: Error) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => undefined); // observed by the starter; never an unhandled rejection

  class StandIn implements PthreadWorker {
    readonly #worker: NodeWorkerLike;
    #queue: Promise<void>;
    #pending = 0;

    constructor(url: string | URL) {
      const blob = builtins.resolveObjectURL(String(url));
      const worker = new builtins.Worker(PTHREAD_WORKER_BOOTSTRAP, { eval: true, name: 'tfjs-prune wasm pthread' });
      this.#worker = worker;
      made.push(worker);
      if (settled) worker.unref();
      worker.on('error', (e) => {
        if (!settled) fail(errorOf(e));
      });
      worker.on('exit', (code) => {
        if (!settled) fail(new Error(`a pthread worker exited with code ${String(code)} while the backend started`));
      });
      this.#queue = (async () => {
        if (blob === undefined) throw new Error(`the worker script URL ${String(url)} is not a blob this process made`);
        worker.postMessage({ tfjsPruneWorkerScript: await blob.text() });
      })();
      this.#track();
    }

    /** Counts `#queue`'s links so that messages bypass it once it has drained. */
    #track(): void {
      this.#pending += 1;
      this.#queue.then(
        () => {
          this.#pending -= 1;
        },
        (e: unknown) => {
          this.#pending -= 1;
          fail(errorOf(e));
        },
      );
    }

    postMessage(message: unknown, transfer?: readonly unknown[]): void {
      const worker = this.#worker;
      if (isLoadMessage(message) && isBlobLike(message.urlOrBlob)) {
        const factory = message.urlOrBlob;
        this.#queue = this.#queue.then(async () => worker.postMessage({ ...message, urlOrBlob: await factory.text() }, transfer));
        this.#track();
      } else if (this.#pending > 0) {
        this.#queue = this.#queue.then(() => worker.postMessage(message, transfer));
        this.#track();
      } else {
        worker.postMessage(message, transfer);
      }
    }

    on(event: string, listener: (...args: unknown[]) => void): PthreadWorker {
      // The glue's error listener rethrows; before the start settles, errors reject `failed` instead.
      const forward = event === 'error' ? (...args: unknown[]) => (settled ? listener(...args) : undefined) : listener;
      this.#worker.on(event, forward);
      if (settled) this.#worker.unref(); // a new 'message' listener refs the worker's port again
      return this;
    }

    ref(): void {
      if (!settled) this.#worker.ref();
    }

    unref(): void {
      if (settled) this.#worker.unref();
    }

    terminate(): Promise<number> {
      return this.#worker.terminate();
    }
  }

  return {
    Worker: StandIn,
    failed,
    settle() {
      settled = true;
      for (const w of made) w.unref();
    },
    terminateAll() {
      for (const w of made) void w.terminate();
    },
  };
}
