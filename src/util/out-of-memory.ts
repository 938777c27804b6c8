import * as tf from '@tensorflow/tfjs';
import { PruneError } from '../errors';

/** Messages of the errors a TF.js backend throws when memory runs out. */
const OUT_OF_MEMORY = /memory access out of bounds|out of memory|\bOOM\b|allocation failed|Invalid typed array length|Cannot allocate|could not allocate|Array buffer allocation/i;

/** Whether `e` is a backend's out-of-memory error (wasm's `RuntimeError: memory access out of bounds`, cpu's failed allocations). */
export function isOutOfMemory(e: unknown): boolean {
  if (e instanceof PruneError) return false;
  const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return OUT_OF_MEMORY.test(message);
}

/**
 * Runs `work`; an out-of-memory error becomes a PruneError `OUT_OF_MEMORY` saying what ran out
 * (`what`, e.g. 'scoring a batch of 32 examples') and what to lower (`fix`). Other errors pass.
 */
export async function mapOutOfMemory<T>(work: () => Promise<T>, where: string, what: string, fix: string): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (!isOutOfMemory(e)) throw e;
    const cause = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    throw new PruneError(
      'OUT_OF_MEMORY',
      `${where}: ${what} ran out of memory on the '${tf.getBackend()}' backend (${cause}). ${fix} ` +
        'After an out-of-memory error the wasm backend may be unusable until the page or process restarts.',
    );
  }
}
