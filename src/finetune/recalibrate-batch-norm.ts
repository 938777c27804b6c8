import * as tf from '@tensorflow/tfjs';
import { gatedForward, planGates } from '../criteria/gated-forward';
import { resolveModel } from '../graph/resolve-model';
import { weightShortName } from '../model/weight-short-name';
import type { TrainingStream } from './training-stream';
import { yieldToEventLoop } from '../util/yield-to-event-loop';

/**
 * Re-estimates the moving mean and variance of every BatchNormalization layer (on the channel
 * axis) from `batches` training minibatches: the model runs forward in training mode (each BN
 * normalises with its batch statistics, as during training, no weight update), and each BN's moving
 * statistics become the mean of its batch means and batch variances. This is "adaptive BN" (Li et
 * al. 2020, EagleEye): after surgery and a short fine-tune, TF.js's default BN momentum (0.99) leaves
 * moving statistics that describe the network before pruning, and inference-mode accuracy suffers
 * until hundreds of steps later. With `only`, just the BN layers of those names are updated (the
 * others keep their statistics). Returns the number of BN layers updated.
 */
export async function recalibrateBatchNorm(model: tf.LayersModel, stream: TrainingStream, batches: number, only: ReadonlySet<string> | null = null): Promise<number> {
  if (batches <= 0) return 0;
  const resolved = resolveModel(model);
  const { nodes } = resolved.flow.graph;
  const bn = new Set<number>();
  nodes.forEach((node, i) => {
    if (node.className === 'BatchNormalization' && resolved.flow.rules[i].type === 'elementwise' && node.callCount === 1 && (only === null || only.has(node.name))) bn.add(i);
  });
  if (bn.size === 0) return 0;
  const plan = planGates(resolved, []);
  const sums = new Map<number, { mean: Float64Array; variance: Float64Array; n: number }>();
  for (let b = 0; b < batches; b++) {
    if (b > 0) await yieldToEventLoop();
    const batch = await stream.next();
    if (batch === null) break;
    try {
      const moments: Array<[number, tf.Tensor, tf.Tensor]> = [];
      tf.tidy(() => {
        gatedForward(resolved, plan, batch.x, null, {
          // With `only`, the other BN layers run in inference mode: their statistics stay as they are.
          training: only === null ? true : bn,
          onNode: (i, ins) => {
            if (!bn.has(i)) return;
            const z = ins[0];
            const { mean, variance } = tf.moments(z, z.shape.map((_, a) => a).slice(0, -1));
            moments.push([i, tf.keep(mean), tf.keep(variance)]);
          },
        });
      });
      try {
        for (const [i, mean, variance] of moments) {
          const s = sums.get(i) ?? { mean: new Float64Array(mean.size), variance: new Float64Array(mean.size), n: 0 };
          (await mean.data()).forEach((v, c) => (s.mean[c] += v));
          (await variance.data()).forEach((v, c) => (s.variance[c] += v));
          s.n++;
          sums.set(i, s);
        }
      } finally {
        tf.dispose(moments.flatMap(([, m, v]) => [m, v]));
      }
    } finally {
      tf.dispose([...batch.x, ...(batch.y ?? [])]);
    }
  }
  for (const [i, s] of sums) {
    const layer = nodes[i].layer;
    const current = layer.getWeights(); // the layer's own variables: not disposed
    const made: tf.Tensor[] = [];
    const next = current.map((w, j) => {
      const name = weightShortName(layer.weights[j]);
      if (name !== 'moving_mean' && name !== 'moving_variance') return w;
      const src = name === 'moving_mean' ? s.mean : s.variance;
      const t = tf.tensor(Float32Array.from(src, (v) => v / s.n), w.shape);
      made.push(t);
      return t;
    });
    layer.setWeights(next);
    tf.dispose(made);
  }
  return sums.size;
}
