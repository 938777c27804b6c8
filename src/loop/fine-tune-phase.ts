import type * as tf from '@tensorflow/tfjs';
import { weightsFinite } from '../finetune/weights-finite';
import type { FineTuneContext, TrainingAmount } from '../finetune/fine-tune-options';
import { runFineTune, type FineTuneResult } from '../finetune/run-fine-tune';
import type { TrainingStream } from '../finetune/training-stream';
import type { LoopConfig } from './loop-config';

/** Fine-tunes `model` (compiled) by the configured method; returns what happened. */
export async function fineTunePhase(
  cfg: Pick<LoopConfig, 'fineTune' | 'compile' | 'signal'>,
  model: tf.LayersModel,
  amount: Required<TrainingAmount> | null,
  stream: TrainingStream,
  context: FineTuneContext,
): Promise<FineTuneResult> {
  const start = performance.now();
  if (cfg.fineTune.kind === 'function') {
    await cfg.fineTune.fn(model, context);
    return { steps: 0, diverged: !weightsFinite(model), aborted: cfg.signal?.aborted === true, meanLoss: NaN, seconds: (performance.now() - start) / 1000 };
  }
  if (amount === null) return { steps: 0, diverged: false, aborted: false, meanLoss: NaN, seconds: 0 };
  const result = await runFineTune(model, amount, stream, {
    distill: cfg.fineTune.distill,
    teacher: context.original,
    loss: cfg.compile.loss,
    signal: cfg.signal,
  });
  return { ...result, diverged: result.diverged || (result.steps > 0 && !weightsFinite(model)) };
}
