import type * as tf from '@tensorflow/tfjs';
import { measureLatency } from '../../src/index';

/** Options of {@link interleavedLatency}. */
export interface InterleavedLatencyArgs {
  /** Examples per `predict` call. Default: 1. */
  batchSize?: number;
  /** Rounds; each round times every model `runsPerRound` times, models in turn. Default: 5. */
  rounds?: number;
  /** Timed calls per model per round. Default: 2. */
  runsPerRound?: number;
  /** Untimed calls per model before the first round. Default: 2. */
  warmup?: number;
}

/** Latency of one model pooled over every round. */
export interface PooledLatency {
  /** Median of all pooled samples, in ms per `predict` call. */
  medianMs: number;
  /** Interquartile range of the pooled samples, in ms. */
  iqrMs: number;
  /** Number of pooled samples. */
  samples: number;
}

function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * Times several models on the current backend with `measureLatency`, alternating between them in
 * short rounds (A, B, A, B...) so that a change in machine load (other processes on a shared
 * 2-core host) hits every model alike instead of biasing the comparison. Samples of all rounds
 * are pooled per model.
 *
 * @example
 * ```ts
 * const [orig, small] = await interleavedLatency([model, pruned], { batchSize: 32, rounds: 5 });
 * console.log(orig.medianMs / small.medianMs); // realized speedup
 * ```
 */
export async function interleavedLatency(models: tf.LayersModel[], args: InterleavedLatencyArgs = {}): Promise<PooledLatency[]> {
  const batchSize = args.batchSize ?? 1;
  const rounds = args.rounds ?? 5;
  const runsPerRound = args.runsPerRound ?? 2;
  const warmup = args.warmup ?? 2;
  const samples: number[][] = models.map(() => []);
  for (const model of models) {
    if (warmup > 0) await measureLatency(model, { batchSize, runs: 1, warmup: warmup - 1 });
  }
  for (let r = 0; r < rounds; r++) {
    for (let m = 0; m < models.length; m++) {
      const result = await measureLatency(models[m], { batchSize, runs: runsPerRound, warmup: 0 });
      samples[m].push(...result.samplesMs);
    }
  }
  return samples.map((s) => {
    const sorted = [...s].sort((a, b) => a - b);
    return { medianMs: quantile(sorted, 0.5), iqrMs: quantile(sorted, 0.75) - quantile(sorted, 0.25), samples: s.length };
  });
}
