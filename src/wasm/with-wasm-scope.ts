import { getKernel, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { PruneError } from '../errors';

/**
 * Runs wasm kernels directly on `TensorInfo`s and owns what they return. Kernels composed from
 * other kernels must not call `tf` ops (the engine would track, and later free, tensors that
 * belong to the caller), so they call the backend's kernel functions through a scope instead.
 *
 * @example
 * ```ts
 * withWasmScope(backend, (scope) => scope.run('Transpose', { x }, { perm: [1, 0] }));
 * ```
 */
export interface WasmScope {
  /** The wasm backend the composed kernel was invoked with. */
  readonly backend: BackendWasm;
  /**
   * Runs the wasm kernel `kernelName` and returns its output, owned by the scope (freed when the
   * scope ends unless it is the scope's result).
   */
  run(kernelName: string, inputs: Record<string, TensorInfo>, attrs?: NamedAttrMap): TensorInfo;
  /** The same data seen with another shape of the same size: no copy, no new reference. */
  view(t: TensorInfo, shape: number[]): TensorInfo;
  /**
   * A new float32 buffer of `shape` on the wasm heap, owned by the scope, for the caller to fill
   * (its contents are undefined; see `BackendWasm.typedArrayFromHeap`).
   */
  make(shape: number[]): TensorInfo;
  /** Frees an intermediate returned by `run` or `make` before the scope ends (lowers peak memory). */
  release(t: TensorInfo): void;
}

/**
 * Calls `body` with a fresh {@link WasmScope} and returns its result as a kernel output: every
 * intermediate the body made is freed with `backend.disposeData` (also when it throws), and the
 * result carries exactly one reference, as the engine expects of a kernel's output.
 *
 * @example
 * ```ts
 * const kernelFunc = ({ inputs, backend }) =>
 *   withWasmScope(backend as BackendWasm, (scope) => {
 *     const t = scope.run('Transpose', { x: inputs.x }, { perm: [1, 0] });
 *     return scope.view(t, [t.shape[0] * t.shape[1]]);
 *   });
 * ```
 */
export function withWasmScope(backend: BackendWasm, body: (scope: WasmScope) => TensorInfo): TensorInfo {
  // Each entry is one reference the scope holds (kernels return outputs with one reference each).
  const owned: TensorInfo[] = [];
  const dropReference = (t: TensorInfo): boolean => {
    const i = owned.findIndex((o) => o.dataId === t.dataId);
    if (i < 0) return false;
    owned.splice(i, 1);
    return true;
  };
  const scope: WasmScope = {
    backend,
    run(kernelName, inputs, attrs = {}) {
      const kernel = getKernel(kernelName, 'wasm');
      if (kernel === undefined) {
        throw new PruneError(
          'BACKEND_UNAVAILABLE',
          `The wasm backend has no '${kernelName}' kernel, which tfjs-prune's wasm training kernels ` +
            `are built from. Import '@tensorflow/tfjs-backend-wasm' 4.x (same version as @tensorflow/tfjs).`,
        );
      }
      const out = kernel.kernelFunc({ inputs, attrs, backend });
      if (Array.isArray(out)) {
        out.forEach((o) => owned.push(o));
        throw new PruneError('INTERNAL', `wasm kernel '${kernelName}' returned ${out.length} outputs, expected one.`);
      }
      owned.push(out);
      return out;
    },
    make(shape) {
      const out = backend.makeOutput(shape, 'float32');
      owned.push(out);
      return out;
    },
    view(t, shape) {
      return { dataId: t.dataId, shape, dtype: t.dtype };
    },
    release(t) {
      if (!dropReference(t)) {
        throw new PruneError('INTERNAL', 'WasmScope.release was given a tensor the scope does not own.');
      }
      backend.disposeData(t.dataId);
    },
  };
  try {
    const result = body(scope);
    // Hand one reference over to the engine; a view of a caller's input needs a new reference.
    if (!dropReference(result)) backend.incRef(result.dataId);
    return { dataId: result.dataId, shape: result.shape, dtype: result.dtype };
  } finally {
    for (const t of owned) backend.disposeData(t.dataId);
  }
}
