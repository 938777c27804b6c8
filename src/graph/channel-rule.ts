import { match, P } from 'ts-pattern';
import { layerConfig } from '../model/layer-config';
import { customChannelRule, type CustomSurgery } from './custom-channel-rule';
import type { GraphNode } from './layer-graph';
import { declaresChannelRule } from './prunable-layer';

/**
 * How one layer application moves channels (the last axis, NHWC) from its inputs to its output.
 *
 * - `input`: a model input; its channels can never be removed.
 * - `producer`: creates new channels (units, filters); if `consumesInput`, it also has one weight
 *   row per input channel (a consumer). `lockReason` is set when its outputs are coupled with each
 *   other (a softmax over the channels), so none of them can be removed.
 * - `elementwise`: channel `c` of the input is channel `c` of the output (BN, activations,
 *   dropout, pooling, padding...).
 * - `depthwise`: channel `c` becomes channels `c*m .. c*m+m-1` (DepthwiseConv2D).
 * - `flatten`: NHWC flatten; channel `c` becomes features `c, c+C, c+2C, ...`.
 * - `merge`: elementwise merge of equally shaped inputs; ties channel `c` of every input together.
 * - `concat`: concatenation on the channel axis.
 * - `barrier`: not understood (or not safely editable); every channel it touches is locked.
 *
 * `custom` is set for a layer that declares its own rule ({@link PrunableLayer}): how surgery cuts
 * its weights. `inputLockReason` locks a producer's input channels (a custom producer that does
 * not consume them).
 */
export type ChannelRule =
  | { type: 'input' }
  | { type: 'producer'; consumesInput: boolean; lockReason?: string; inputLockReason?: string; custom?: CustomSurgery }
  | { type: 'elementwise'; custom?: CustomSurgery }
  | { type: 'depthwise'; multiplier: number }
  | { type: 'flatten' }
  | { type: 'merge' }
  | { type: 'concat' }
  | { type: 'barrier'; reason: string };

type Config = Record<string, unknown>;

const ELEMENTWISE = [
  'ReLU',
  'LeakyReLU',
  'ELU',
  'PReLU',
  'ThresholdedReLU',
  'Dropout',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
  'MaxPooling1D',
  'AveragePooling1D',
  'GlobalAveragePooling1D',
  'GlobalMaxPooling1D',
  'ZeroPadding1D',
  'Cropping1D',
  'UpSampling1D',
] as const;

/** Layers with a `dataFormat` option that are pass-through when it is channelsLast. */
const SPATIAL_ELEMENTWISE = [
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling2D',
  'ZeroPadding2D',
  'Cropping2D',
  'UpSampling2D',
  'MaxPooling3D',
  'AveragePooling3D',
] as const;

const MERGES = ['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum'] as const;
const CONVS = ['Conv1D', 'Conv2D', 'Conv3D', 'Conv2DTranspose', 'SeparableConv2D'] as const;

function isChannelCoupled(activation: unknown): boolean {
  if (typeof activation !== 'string') return false;
  const a = activation.toLowerCase().replace(/_/g, '');
  return a === 'softmax' || a === 'logsoftmax';
}

function isLastAxis(axis: unknown, rank: number): boolean {
  if (Array.isArray(axis)) return axis.length === 1 && isLastAxis(axis[0], rank);
  return axis === -1 || axis === rank - 1;
}

const channelsFirst = (config: Config): boolean => config.dataFormat === 'channelsFirst';

/** How surgery cuts the weights of a layer that declared its own rule (a custom layer), else `undefined`. */
export function customSurgeryOf(rule: ChannelRule | undefined): CustomSurgery | undefined {
  return rule?.type === 'producer' || rule?.type === 'elementwise' ? rule.custom : undefined;
}

const describe = (node: GraphNode): string => `'${node.name}' (${node.className})`;

/**
 * Classifies one layer application. Anything not known to be safe is a barrier, with a reason
 * that names the layer and says why: unknown is never guessed.
 */
export function channelRule(node: GraphNode): ChannelRule {
  const config = layerConfig(node.layer);
  const rank = node.inputShapes[0]?.length ?? 0;
  if (node.callCount > 1) {
    return { type: 'barrier', reason: `layer ${describe(node)} is shared (applied ${node.callCount} times); shared layers are not supported yet` };
  }
  if (node.outputShapes.length !== 1) {
    return { type: 'barrier', reason: `layer ${describe(node)} has ${node.outputShapes.length} outputs; multi-output layers are not supported` };
  }
  // A layer that declares its own rule (a custom layer implementing PrunableLayer) is taken at its word.
  if (declaresChannelRule(node.layer)) return customChannelRule(node, node.layer);
  const noChannelsFirst = (rule: ChannelRule): ChannelRule =>
    channelsFirst(config)
      ? { type: 'barrier', reason: `layer ${describe(node)} uses dataFormat 'channelsFirst'; only channelsLast (NHWC) layers can be pruned` }
      : rule;

  return match(node.className)
    .with('InputLayer', (): ChannelRule => ({ type: 'input' }))
    .with('Dense', (): ChannelRule => ({
      type: 'producer',
      consumesInput: true,
      lockReason: isChannelCoupled(config.activation) ? `layer ${describe(node)} applies '${config.activation}' across its units` : undefined,
    }))
    .with(P.union(...CONVS), (): ChannelRule =>
      noChannelsFirst({
        type: 'producer',
        consumesInput: true,
        lockReason: isChannelCoupled(config.activation) ? `layer ${describe(node)} applies '${config.activation}' across its filters` : undefined,
      }),
    )
    .with('Embedding', (): ChannelRule => ({ type: 'producer', consumesInput: false }))
    .with('DepthwiseConv2D', (): ChannelRule =>
      isChannelCoupled(config.activation)
        ? { type: 'barrier', reason: `layer ${describe(node)} applies '${config.activation}' across its channels` }
        : noChannelsFirst({ type: 'depthwise', multiplier: Number(config.depthMultiplier ?? 1) }),
    )
    .with('BatchNormalization', (): ChannelRule =>
      isLastAxis(config.axis ?? -1, rank)
        ? { type: 'elementwise' }
        : { type: 'barrier', reason: `layer ${describe(node)} normalises axis ${String(config.axis)}, not the channel axis` },
    )
    .with('Activation', (): ChannelRule =>
      isChannelCoupled(config.activation)
        ? { type: 'barrier', reason: `layer ${describe(node)} applies '${config.activation}' across the channels` }
        : { type: 'elementwise' },
    )
    .with('Softmax', (): ChannelRule =>
      isLastAxis(config.axis ?? -1, rank)
        ? { type: 'barrier', reason: `layer ${describe(node)} is a softmax over the channel axis` }
        : { type: 'elementwise' },
    )
    .with(P.union(...ELEMENTWISE), (): ChannelRule => ({ type: 'elementwise' }))
    .with(P.union(...SPATIAL_ELEMENTWISE), (): ChannelRule => noChannelsFirst({ type: 'elementwise' }))
    .with('Flatten', (): ChannelRule => noChannelsFirst({ type: 'flatten' }))
    .with(P.union(...MERGES), (): ChannelRule => {
      const widths = new Set(node.inputShapes.map((s) => s[s.length - 1]));
      return widths.size === 1
        ? { type: 'merge' }
        : { type: 'barrier', reason: `layer ${describe(node)} broadcasts inputs of different channel counts (${[...widths].join(', ')})` };
    })
    .with('Concatenate', (): ChannelRule =>
      isLastAxis(config.axis ?? -1, rank)
        ? { type: 'concat' }
        : { type: 'barrier', reason: `layer ${describe(node)} concatenates on axis ${String(config.axis)}, not the channel axis` },
    )
    .with(P.union('Sequential', 'Model', 'Functional'), (): ChannelRule => ({
      type: 'barrier',
      reason: `layer ${describe(node)} is a nested model; nested models are not supported yet`,
    }))
    .otherwise((): ChannelRule => ({
      type: 'barrier',
      reason: `layer ${describe(node)} is not supported by tfjs-prune, so the channels it reads cannot be removed`,
    }));
}
