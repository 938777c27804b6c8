/**
 * mulberry32: a tiny seeded PRNG returning floats in [0, 1). Used by the random criterion and
 * shared with the examples and benchmarks, so scores, data splits and removal plans repeat exactly.
 *
 * @example
 * ```ts
 * const random = seededRandom(0);
 * const coin = random() < 0.5;
 * ```
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
