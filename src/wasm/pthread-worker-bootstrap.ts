/**
 * Source of the script each pthread worker starts with in Node (run with `eval: true`, so no
 * file is written or read). Its first message is the wasm backend's own worker script (the text
 * of the `blob:` URL TF.js made for it, which Node's `Worker` cannot load); it runs that script
 * with the names TF.js's Node bundle gives its module factory defined (`require$$0` = fs,
 * `require$$1` = path, `require$$3` = perf_hooks, `require$$4` = os, `commonjsGlobal`), and lets
 * the script's `importScripts` evaluate the module factory, which arrives as text instead of a
 * path. Built-ins come from `process.getBuiltinModule`. Every later message goes to the backend's
 * worker script, which registers its own listener.
 *
 * @example
 * ```ts
 * new Worker(PTHREAD_WORKER_BOOTSTRAP, { eval: true }); // then post { tfjsPruneWorkerScript: text }
 * ```
 */
export const PTHREAD_WORKER_BOOTSTRAP = `
'use strict';
const builtin = (name) => process.getBuiltinModule(name);
const port = builtin('worker_threads').parentPort;
port.once('message', (data) => {
  if (data === null || typeof data !== 'object' || typeof data.tfjsPruneWorkerScript !== 'string') {
    throw new Error('tfjs-prune pthread worker: the first message must carry the worker script');
  }
  Object.assign(globalThis, {
    require$$0: builtin('fs'),
    require$$1: builtin('path'),
    require$$2: builtin('worker_threads'),
    require$$3: builtin('perf_hooks'),
    require$$4: builtin('os'),
    commonjsGlobal: globalThis,
    _scriptDir: undefined,
  });
  (0, eval)(data.tfjsPruneWorkerScript);
  globalThis.importScripts = (source) => (0, eval)(String(source));
});
`;
