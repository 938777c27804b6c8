import type { Checkpoint } from '../../src/checkpoint/checkpoint-store';

/**
 * `checkpoint` with every weight buffer replaced by a Uint8Array view of its bytes (shards joined),
 * for `toEqual`: jest compares ArrayBuffers by type only, not by content.
 */
export function comparable(checkpoint: Checkpoint | null): unknown {
  if (checkpoint === null) return null;
  const bytes = (data: unknown): Uint8Array => {
    const parts = (Array.isArray(data) ? data : [data]) as ArrayBuffer[];
    const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let offset = 0;
    for (const p of parts) {
      out.set(new Uint8Array(p), offset);
      offset += p.byteLength;
    }
    return out;
  };
  const view = (a: Checkpoint['model']) => ({ ...a, weightData: a.weightData === undefined ? undefined : bytes(a.weightData) });
  return { ...checkpoint, model: view(checkpoint.model), ...(checkpoint.best ? { best: view(checkpoint.best) } : {}) };
}
