import * as tf from '@tensorflow/tfjs';
import type { ResolvedModel } from '../graph/resolve-model';
import { accuracy, type Metric } from '../metrics/metric';
import { gatedForward, planGates, reusableTensors, type GatePlan } from './gated-forward';
import { yieldToEventLoop } from '../util/yield-to-event-loop';

/** One evaluation batch (tensors owned by whoever made the evaluator's batch list). */
export interface EvaluationBatch {
  x: tf.Tensor[];
  y: tf.Tensor[];
  size: number;
}

/** What an evaluation measures: the mean per-example loss, or top-1 accuracy. */
export type EvaluationMetric = 'loss' | 'accuracy';

/**
 * Evaluates the model with channels switched off by gates (exactly what the pruned model computes),
 * on a fixed list of batches, one forward pass per batch. When every switched-off channel belongs
 * to one group, only the part of the model downstream of that group's consumers runs: the tensors
 * upstream are computed once per group and kept until `dispose()`.
 */
export class GatedEvaluator {
  private readonly subPlans = new Map<string, GatePlan>();
  private readonly caches = new Map<string, Array<Map<string, tf.Tensor>>>();
  private readonly accuracyMetric: Metric = accuracy();

  constructor(
    private readonly resolved: ResolvedModel,
    private readonly plan: GatePlan,
    private readonly batches: readonly EvaluationBatch[],
    private readonly lossOf: (yTrue: tf.Tensor[], yPred: tf.Tensor[]) => tf.Tensor1D,
    /** Keep upstream tensors between evaluations (only valid while the model's weights do not change). Default: true. */
    private readonly reuseUpstream = true,
  ) {}

  /** The single group whose columns `mask` zeroes, or null (none, or several). */
  private soleGroup(mask: Float32Array): string | null {
    let found: string | null = null;
    for (const g of this.plan.groups) {
      const o = this.plan.offsets.get(g.id)!;
      for (let c = 0; c < g.size; c++) {
        if (mask[o + c] !== 1) {
          if (found !== null && found !== g.id) return null;
          found = g.id;
          break;
        }
      }
    }
    return found;
  }

  private cacheOf(groupId: string): { plan: GatePlan; cached: Array<Map<string, tf.Tensor>> } {
    let plan = this.subPlans.get(groupId);
    if (!plan) {
      plan = planGates(this.resolved, this.plan.groups.filter((g) => g.id === groupId));
      this.subPlans.set(groupId, plan);
    }
    let cached = this.caches.get(groupId);
    if (!cached) {
      const p = plan;
      cached = this.batches.map((b) => reusableTensors(this.resolved, p, b.x));
      this.caches.set(groupId, cached);
    }
    return { plan, cached };
  }

  /** Mean loss (or accuracy) over the batches with the gates of `mask` (`[plan.width]`, 1 = keep). */
  async evaluate(mask: Float32Array, metric: EvaluationMetric = 'loss'): Promise<number> {
    const sole = this.soleGroup(mask);
    let plan = this.plan;
    let row = mask;
    let cached: Array<Map<string, tf.Tensor>> | null = null;
    if (sole !== null && this.reuseUpstream) {
      const sub = this.cacheOf(sole);
      plan = sub.plan;
      cached = sub.cached;
      const o = this.plan.offsets.get(sole)!;
      row = mask.subarray(o, o + plan.width);
    }
    let total = 0;
    let n = 0;
    for (let i = 0; i < this.batches.length; i++) {
      const batch = this.batches[i];
      const sum = tf.tidy(() => {
        const gates = tf.tensor2d(row, [1, plan.width]).tile([batch.size, 1]);
        const outs = gatedForward(this.resolved, plan, batch.x, gates, cached ? { cached: cached[i] } : {});
        return (metric === 'loss' ? this.lossOf(batch.y, outs) : this.accuracyMetric.perExample(batch.y, outs)).sum();
      });
      try {
        total += (await sum.data())[0];
      } finally {
        sum.dispose();
      }
      n += batch.size;
      await yieldToEventLoop();
    }
    return total / n;
  }

  /** Frees the cached upstream tensors (not the batches). */
  dispose(): void {
    for (const list of this.caches.values()) for (const m of list) tf.dispose([...m.values()]);
    this.caches.clear();
  }
}
