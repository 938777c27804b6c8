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

const NESTED = new Set(['Sequential', 'Model', 'Functional']);

/**
 * The groups inside nested models (a model used as a layer), reported as not prunable so that
 * they are visible rather than silently missing. Ids are `outerLayer/innerGroupId`.
 */
function nestedGroups(flow: ChannelFlow): ResolvedGroup[] {
  const out: ResolvedGroup[] = [];
  for (const node of flow.graph.nodes) {
    if (!NESTED.has(node.className)) continue;
    const inner = resolveModel(node.layer as unknown as tf.LayersModel);
    for (const g of inner.groups) {
      out.push({
        id: `${node.name}/${g.id}`,
        size: g.size,
        prunable: false,
        reason:
          `it is inside the nested model '${node.name}' (${node.className}); nested models are not supported yet: ` +
          'build one flat model from its layers to prune them',
        members: g.members.map((m) => ({ ...m, layer: `${node.name}/${m.layer}` })),
        classRoots: [],
      });
    }
  }
  return out;
}

/** Validates `model` and computes its channel flow and pruning groups (read only). */
export function resolveModel(model: unknown): ResolvedModel {
  assertLayersModel(model);
  const flow = traceChannels(buildLayerGraph(model as tf.LayersModel));
  const groups = [...findGroups(flow), ...nestedGroups(flow)];
  return { flow, groups, groupById: new Map(groups.map((g) => [g.id, g])) };
}
