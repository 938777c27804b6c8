import { PruneError } from '../errors';

/**
 * The inputs of the reward of one pruning action on one layer.
 *
 * @example
 * ```ts
 * const input: AgentRewardInput = { accuracy: 0.92, prunedAccuracy: 0.915, bound: 0.01, channels: 64, kept: 40 };
 * ```
 */
export interface AgentRewardInput {
  /** `p`: accuracy of the model before pruning this layer. */
  accuracy: number;
  /** `p_hat`: accuracy with the dropped channels switched off. */
  prunedAccuracy: number;
  /** `b`: the accuracy drop the user accepts (0.01 = one point). */
  bound: number;
  /** `C`: channels of the layer. */
  channels: number;
  /** `|A|`: channels the action keeps (at least 1). */
  kept: number;
}

/**
 * The reward of Huang et al. 2018 ("Learning to Prune Filters in Convolutional Neural Networks"):
 * `R = psi * phi` with `psi = (b - (p - p_hat)) / b`, which turns negative once the accuracy drop
 * exceeds the bound `b`, and `phi = log(C / |A|)`, which grows with the share of channels removed.
 * Keeping everything earns 0.
 *
 * @example
 * ```ts
 * import { agentReward } from 'tfjs-prune';
 * // Drop 24 of 64 channels for half a point of accuracy with a 1-point bound:
 * agentReward({ accuracy: 0.92, prunedAccuracy: 0.915, bound: 0.01, channels: 64, kept: 40 });
 * // psi = (0.01 - 0.005) / 0.01 = 0.5; phi = ln(64 / 40) = 0.47; R = 0.235
 * ```
 */
export function agentReward({ accuracy, prunedAccuracy, bound, channels, kept }: AgentRewardInput): { reward: number; psi: number; phi: number } {
  if (!(bound > 0) || !Number.isFinite(bound)) throw new PruneError('INVALID_OPTION', `agentReward: the bound b must be a positive number (0.01 = one accuracy point); got ${bound}.`);
  if (!Number.isInteger(channels) || channels < 1 || !Number.isInteger(kept) || kept < 1 || kept > channels) {
    throw new PruneError('INVALID_OPTION', `agentReward: kept (${kept}) must be an integer in [1, channels = ${channels}].`);
  }
  const psi = (bound - (accuracy - prunedAccuracy)) / bound;
  const phi = Math.log(channels / kept);
  return { reward: psi * phi, psi, phi };
}
