import { match, P } from 'ts-pattern';
import type { CustomWeightAxes } from '../graph/custom-channel-rule';

/** Which part of a producer's weights creates an output channel. */
export type ProducerWeightRole = 'kernel' | 'bias';

/**
 * The axis of a producer's weight that has one slice per output channel, and whether the weight
 * is the kernel or the bias; `null` for weights that are not per output channel (the depthwise
 * kernel of a SeparableConv2D).
 */
export function producerChannelAxis(
  className: string,
  weightName: string,
  rank: number,
  custom?: CustomWeightAxes,
): { axis: number; role: ProducerWeightRole } | null {
  // A custom producer declared its axes (PrunableLayer): its rank-1 'bias' is the bias, every
  // other weight with an output axis is kernel-like.
  if (custom) {
    if (custom.output === null) return null;
    return { axis: custom.output, role: weightName === 'bias' && rank === 1 ? 'bias' : 'kernel' };
  }
  if (weightName === 'bias') return { axis: 0, role: 'bias' };
  return match(className)
    .with('Dense', () => (weightName === 'kernel' ? { axis: 1, role: 'kernel' as const } : null))
    .with(P.union('Conv1D', 'Conv2D', 'Conv3D'), () => (weightName === 'kernel' ? { axis: rank - 1, role: 'kernel' as const } : null))
    // Conv2DTranspose kernels are [kh, kw, out, in].
    .with('Conv2DTranspose', () => (weightName === 'kernel' ? { axis: 2, role: 'kernel' as const } : null))
    .with('SeparableConv2D', () => (weightName === 'pointwise_kernel' ? { axis: 3, role: 'kernel' as const } : null))
    .with('Embedding', () => (weightName === 'embeddings' ? { axis: 1, role: 'kernel' as const } : null))
    .otherwise(() => null);
}
