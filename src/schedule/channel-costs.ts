import type * as tf from '@tensorflow/tfjs';
import { channelFlopsShare } from '../criteria/channel-flops';
import { channelLatencyShare } from '../criteria/channel-latency';
import { channelParamsShare } from '../criteria/channel-params';
import type { GroupScores } from '../criteria/criterion';
import { PruneError } from '../errors';
import { resolveModel } from '../graph/resolve-model';
import { countFlops } from '../metrics/count-flops';
import { measureLayerLatency } from '../metrics/measure-layer-latency';

/**
 * Per-channel share of the model's cost that removing the channel saves, per group id: its FLOPs
 * or params; for `'latency'`, the time of each layer measured on the current backend at batch 1
 * (as the loop measures latency), shared out by work (`measure` is replaceable for tests). Latency
 * falls back to FLOPs when the model cannot be timed (an input size not fixed and no `inputShape`)
 * or no layer of the groups was. FLOPs shares are refused (`unknown` names the layers) when a
 * layer of the groups cannot be counted, e.g. a convolution of a model whose input size is not
 * fixed, costed without an `inputShape`: partial costs would make those channels look free.
 */
export async function channelCosts(
  model: tf.LayersModel,
  ids: readonly string[],
  kind: 'flops' | 'params' | 'latency',
  inputShape?: number[][],
  measure: typeof measureLayerLatency = measureLayerLatency,
): Promise<{ costs: GroupScores } | { unknown: string[] }> {
  const resolved = resolveModel(model);
  if (kind === 'params') return { costs: channelParamsShare(model, resolved, ids) };
  if (kind === 'latency') {
    // A model whose input size is not fixed cannot be timed without an inputShape: FLOPs then.
    const measured = await measure(model, { batchSize: 1, runs: 5, warmup: 2, ...(inputShape ? { inputShape } : {}) }).catch((e: unknown) => {
      if (e instanceof PruneError && e.code === 'INVALID_OPTION') return null;
      throw e;
    });
    const shares = measured === null ? null : channelLatencyShare(model, resolved, ids, measured.layers, inputShape);
    if (shares !== null && Object.values(shares).some((c) => c.some((v) => v > 0))) return { costs: shares };
  }
  const notCounted = new Set(countFlops(model, inputShape ? { inputShape } : {}).notCounted);
  const members = new Set(ids.flatMap((id) => resolved.groupById.get(id)?.members.map((m) => m.layer) ?? []));
  const unknown = [...members].filter((name) => notCounted.has(name));
  if (unknown.length > 0) return { unknown };
  return { costs: channelFlopsShare(model, resolved, ids, inputShape) };
}
