import type * as tf from '@tensorflow/tfjs';
import { assertLayersModel } from '../model/assert-layers-model';
import { traceChannels, type ChannelFlow } from './channel-flow';
import { findGroups, type ResolvedGroup } from './find-groups';
import { buildLayerGraph } from './layer-graph';

/** Everything the library knows about a model's channels: its graph, channel flow and groups. */
export interface ResolvedModel {
  readonly flow: ChannelFlow;
  readonly groups: ResolvedGroup[];
  readonly groupById: Map<string, ResolvedGroup>;
}

/** Validates `model` and computes its channel flow and pruning groups (read only). */
export function resolveModel(model: unknown): ResolvedModel {
  assertLayersModel(model);
  const flow = traceChannels(buildLayerGraph(model as tf.LayersModel));
  const groups = findGroups(flow);
  return { flow, groups, groupById: new Map(groups.map((g) => [g.id, g])) };
}
