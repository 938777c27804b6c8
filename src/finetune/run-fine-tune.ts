import * as tf from '@tensorflow/tfjs';
import type { LossSpec } from '../data/per-example-loss';
import type { TrainingAmount } from './fine-tune-options';
import type { TrainingBatch, TrainingStream } from './training-stream';
import { weightsFinite } from './weights-finite';
import { mapOutOfMemory } from '../util/out-of-memory';
import { yieldToEventLoop } from '../util/yield-to-event-loop';

/** What one fine-tuning phase did. */
export interface FineTuneResult {
  /** Minibatches trained. */
  steps: number;
  /** A training loss was NaN or infinite (training stopped there). */
  diverged: boolean;
  /** The abort signal fired (training stopped between minibatches). */
  aborted: boolean;
  /** Mean training loss of the phase's minibatches (NaN when none ran). */
  meanLoss: number;
  seconds: number;
}

/** Settings of the built-in trainer. */
export interface TrainerSettings {
  /** Set: distil from `teacher` with this temperature; unset: train on the labels. */
  distill: { temperature: number } | null;
  teacher: tf.LayersModel;
  loss: LossSpec | LossSpec[];
  signal?: AbortSignal;
}

const isCrossEntropy = (loss: LossSpec | LossSpec[]): boolean => {
  const first = Array.isArray(loss) ? loss[0] : loss;
  return typeof first === 'string' && first.replace(/_/g, '').toLowerCase().endsWith('crossentropy');
};

/** Probabilities softened by a temperature: p^(1/T), renormalised (a one-unit output is binary). */
function soften(p: tf.Tensor, temperature: number): tf.Tensor {
  const probs = p.shape[p.rank - 1] === 1 ? tf.concat([tf.scalar(1).sub(p), p], -1) : p;
  const powered = probs.clipByValue(1e-7, 1).pow(1 / temperature);
  return powered.div(powered.sum(-1, true));
}

/** The distillation loss of one batch (mean over examples). */
function distillLoss(student: tf.Tensor[], teacher: tf.Tensor[], settings: TrainerSettings): tf.Scalar {
  const t = settings.distill!.temperature;
  const parts = student.map((s, i) => {
    if (isCrossEntropy(settings.loss)) {
      const target = soften(teacher[i], t);
      const ce = target.mul(soften(s, t).clipByValue(1e-7, 1).log()).sum(-1).neg();
      return ce.mean().mul(t * t);
    }
    return s.sub(teacher[i]).square().mean();
  });
  return parts.reduce((a, b) => a.add(b)) as tf.Scalar;
}

async function trainOn(model: tf.LayersModel, batch: TrainingBatch, settings: TrainerSettings): Promise<number> {
  if (settings.distill === null) {
    const x = batch.x.length === 1 ? batch.x[0] : batch.x;
    const y = batch.y!.length === 1 ? batch.y![0] : batch.y!;
    const loss = await model.trainOnBatch(x, y);
    return Array.isArray(loss) ? loss[0] : loss;
  }
  const teacherOut = tf.tidy(() => {
    const out = settings.teacher.predict(batch.x.length === 1 ? batch.x[0] : batch.x) as tf.Tensor | tf.Tensor[];
    return Array.isArray(out) ? out : [out];
  });
  try {
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const cost = model.optimizer.minimize(
      () => {
        const out = model.apply(batch.x.length === 1 ? batch.x[0] : batch.x, { training: true }) as tf.Tensor | tf.Tensor[];
        return distillLoss(Array.isArray(out) ? out : [out], teacherOut, settings);
      },
      true,
      vars,
    );
    const value = cost ? (await cost.data())[0] : NaN;
    cost?.dispose();
    return value;
  } finally {
    tf.dispose(teacherOut);
  }
}

/**
 * Trains a compiled model for an amount of minibatches or epochs drawn from `stream`, stopping at
 * the first non-finite loss (diverged) or when the signal fires (aborted).
 */
export async function runFineTune(model: tf.LayersModel, amount: Required<TrainingAmount>, stream: TrainingStream, settings: TrainerSettings): Promise<FineTuneResult> {
  const start = performance.now();
  let steps = 0;
  let lossSum = 0;
  // Epochs of tensor data are exact minibatch counts; a dataset trains to the end of its epoch.
  const perEpoch = stream.batchesPerEpoch;
  const total = amount.steps === 0 && amount.epochs > 0 && perEpoch !== null ? amount.epochs * perEpoch : amount.steps;
  const byEpochs = amount.steps === 0 && amount.epochs > 0 && perEpoch === null;
  const endEpoch = stream.where().epoch + amount.epochs + (stream.where().offset > 0 ? 1 : 0);
  for (;;) {
    if (!byEpochs && steps >= total) break;
    // Let timers, input and rendering run between minibatches: an abort lands within one.
    if (steps > 0) await yieldToEventLoop();
    if (settings.signal?.aborted) return { steps, diverged: false, aborted: true, meanLoss: steps > 0 ? lossSum / steps : NaN, seconds: (performance.now() - start) / 1000 };
    const batch = await stream.next(byEpochs ? endEpoch : undefined);
    if (batch === null) break;
    let loss: number;
    try {
      loss = await mapOutOfMemory(
        () => trainOn(model, batch, settings),
        'fine-tuning',
        `training on a minibatch of ${batch.size} examples`,
        `Lower fineTune.batchSize (e.g. ${Math.max(1, Math.floor(batch.size / 4))}), or train on smaller inputs.`,
      );
    } finally {
      tf.dispose([...batch.x, ...(batch.y ?? [])]);
    }
    steps++;
    // A non-finite loss, or (every 10 minibatches) non-finite weights: the loss may hide them.
    if (!Number.isFinite(loss) || (steps % 10 === 0 && !weightsFinite(model))) {
      return { steps, diverged: true, aborted: false, meanLoss: loss, seconds: (performance.now() - start) / 1000 };
    }
    lossSum += loss;
  }
  if (steps % 10 !== 0 && steps > 0 && !weightsFinite(model)) {
    return { steps, diverged: true, aborted: false, meanLoss: lossSum / steps, seconds: (performance.now() - start) / 1000 };
  }
  return { steps, diverged: false, aborted: false, meanLoss: steps > 0 ? lossSum / steps : NaN, seconds: (performance.now() - start) / 1000 };
}
