/**
 * The few Node built-in modules the threaded wasm backend needs in Node, reached through
 * `process.getBuiltinModule` (Node 20.16+ / 22.3+) so that this browser-safe entry point never
 * imports a Node module: bundlers see no import, browsers never run this.
 *
 * @example
 * ```ts
 * const builtins = nodeBuiltins();
 * if (typeof builtins === 'string') console.warn(builtins); // why threads are unavailable here
 * ```
 */
export interface NodeBuiltins {
  /** `node:os`: `availableParallelism`, and `cpus`, which the wasm backend reads for its core count. */
  os: {
    cpus(): unknown[];
    availableParallelism?: () => number;
  };
  /** `node:worker_threads`'s `Worker` class. */
  Worker: NodeWorkerClass;
  /** `node:buffer`'s `resolveObjectURL`: the Blob behind a `blob:nodedata:` URL. */
  resolveObjectURL(url: string): { text(): Promise<string> } | undefined;
}

/** The part of Node's `worker_threads.Worker` the pthread stand-ins use. */
export type NodeWorkerClass = new (code: string, options: { eval: true; name?: string }) => NodeWorkerLike;

/** The part of a Node `Worker` instance the pthread stand-ins use. */
export interface NodeWorkerLike {
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  ref(): void;
  unref(): void;
  terminate(): Promise<number>;
}

interface NodeProcessLike {
  versions?: { node?: string };
  getBuiltinModule?: (id: string) => unknown;
}

/**
 * Node's `os`, `Worker` and `resolveObjectURL`, or a sentence saying why they cannot be had
 * (not Node, or a Node without `process.getBuiltinModule`).
 *
 * @example
 * ```ts
 * const builtins = nodeBuiltins();
 * const cores = typeof builtins === 'string' ? 1 : builtins.os.cpus().length;
 * ```
 */
export function nodeBuiltins(): NodeBuiltins | string {
  const proc = (globalThis as { process?: NodeProcessLike }).process;
  const version = proc?.versions?.node;
  if (typeof version !== 'string') return 'this is not Node (a browser keeps TF.js\'s own threading)';
  if (typeof proc?.getBuiltinModule !== 'function') {
    return `Node ${version} has no process.getBuiltinModule (needs Node 20.16+ or 22.3+)`;
  }
  const os = proc.getBuiltinModule('os') as NodeBuiltins['os'] | undefined;
  const workerThreads = proc.getBuiltinModule('worker_threads') as { Worker?: NodeWorkerClass } | undefined;
  const buffer = proc.getBuiltinModule('buffer') as { resolveObjectURL?: NodeBuiltins['resolveObjectURL'] } | undefined;
  if (typeof os?.cpus !== 'function' || typeof workerThreads?.Worker !== 'function' || typeof buffer?.resolveObjectURL !== 'function') {
    return `Node ${version} lacks os.cpus, worker_threads.Worker or buffer.resolveObjectURL`;
  }
  return { os, Worker: workerThreads.Worker, resolveObjectURL: buffer.resolveObjectURL };
}
