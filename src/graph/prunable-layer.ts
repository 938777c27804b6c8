/**
 * Which axes of one weight of a custom producer layer follow the channels (see
 * {@link ProducerChannelRule}). A negative axis counts from the end (`-1` is the last axis). Give
 * `{}` for a weight that does not depend on the channels (it is kept as it is).
 *
 * @example
 * ```ts
 * import type { WeightChannelAxes } from 'tfjs-prune';
 *
 * const kernel: WeightChannelAxes = { input: 0, output: 1 }; // a [inputChannels, units] matrix
 * const bias: WeightChannelAxes = { output: 0 }; // one entry per output channel
 * ```
 */
export interface WeightChannelAxes {
  /** The axis with one entry per input channel: removed input channels are cut from it. */
  readonly input?: number;
  /** The axis with one entry per output channel: removed output channels are cut from it. */
  readonly output?: number;
}

/**
 * A layer that keeps channel `c` of its (single) input at channel `c` of its output, like an
 * activation or BatchNormalization. Its channels belong to the group of the layer that made them.
 *
 * @example
 * ```ts
 * import type { ElementwiseChannelRule } from 'tfjs-prune';
 *
 * // A layer with one learnable scale per channel, `scale` of shape [channels].
 * const rule: ElementwiseChannelRule = { type: 'elementwise', weights: { scale: -1 } };
 * ```
 */
export interface ElementwiseChannelRule {
  readonly type: 'elementwise';
  /**
   * Every weight of the layer, by its short name (the name given to `addWeight`, without the layer
   * prefix), mapped to its axis with one entry per channel (cut with the channels), or `null` for
   * a weight that does not depend on the channels. Default: `{}`, for a layer without weights.
   */
  readonly weights?: Readonly<Record<string, number | null>>;
}

/**
 * A layer that creates its own output channels, like Dense or Conv2D: it starts a pruning group,
 * its output channels can be removed, and (unless `consumesInput` is false) it also reads the
 * channels of its input, so it loses the weight slices of removed input channels.
 *
 * @example
 * ```ts
 * import type { ProducerChannelRule } from 'tfjs-prune';
 *
 * // A Dense-like layer: kernel [in, units], bias [units], output size in config field `units`.
 * const rule: ProducerChannelRule = {
 *   type: 'producer',
 *   sizeField: 'units',
 *   weights: { kernel: { input: 0, output: 1 }, bias: { output: 0 } },
 * };
 * ```
 */
export interface ProducerChannelRule {
  readonly type: 'producer';
  /**
   * The field of the layer's `getConfig()` that holds its number of output channels (`'units'`,
   * `'filters'`...). Surgery writes the new count there and rebuilds the layer from its config, so
   * the constructor must read it back. It must equal the output's last dimension.
   */
  readonly sizeField: string;
  /**
   * Whether the layer reads the channels of its input (and may have weights per input channel).
   * When `false`, nothing may declare an `input` axis, and the input's channels are locked
   * (their group is reported as not prunable). Default: `true`.
   */
  readonly consumesInput?: boolean;
  /**
   * Every weight of the layer, by its short name (the name given to `addWeight`), mapped to its
   * channel axes (`{}` for a weight that does not depend on the channels).
   */
  readonly weights: Readonly<Record<string, WeightChannelAxes>>;
}

/**
 * A layer whose channels must not be removed: every group it touches is reported as not prunable
 * with the given reason (the same as not implementing {@link PrunableLayer}, with your words).
 *
 * @example
 * ```ts
 * import type { BarrierChannelRule } from 'tfjs-prune';
 *
 * const rule: BarrierChannelRule = { type: 'barrier', reason: 'it mixes channels across positions' };
 * ```
 */
export interface BarrierChannelRule {
  readonly type: 'barrier';
  /** Why, in a few words; analyze() reports it after the layer's name and class. */
  readonly reason: string;
}

/**
 * How a custom layer moves channels (the last axis, NHWC), as it declares it in
 * {@link PrunableLayer.channelRule}: `'elementwise'`, `'producer'` or `'barrier'`.
 *
 * @example
 * ```ts
 * import type { LayerChannelRule } from 'tfjs-prune';
 *
 * const rules: LayerChannelRule[] = [
 *   { type: 'elementwise', weights: { scale: -1 } },
 *   { type: 'producer', sizeField: 'units', weights: { kernel: { input: 0, output: 1 } } },
 *   { type: 'barrier', reason: 'it sorts the channels' },
 * ];
 * ```
 */
export type LayerChannelRule = ElementwiseChannelRule | ProducerChannelRule | BarrierChannelRule;

/**
 * A tensor shape as {@link PrunableLayer.flops} receives it: batch axis first, `null` for an
 * unknown size (the batch).
 *
 * @example
 * ```ts
 * import type { LayerShape } from 'tfjs-prune';
 *
 * const shape: LayerShape = [null, 8, 8, 16];
 * ```
 */
export type LayerShape = ReadonlyArray<number | null>;

/**
 * What a custom layer (a `tf.layers.Layer` subclass of yours) implements so tfjs-prune can prune
 * through it. tfjs-prune looks for these methods on the layer instance (structural typing: there
 * is nothing to register with tfjs-prune and no base class). A layer without `channelRule` is a
 * barrier; a layer without `flops` is listed in `countFlops(model).notCounted`.
 *
 * To be rebuilt after pruning, the class must also be registered with
 * `tf.serialization.registerClass`, and its `getConfig()` must carry every constructor argument
 * (for a producer, its `sizeField`). See docs/guides/custom-layers.md.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import type { LayerChannelRule, LayerShape, PrunableLayer } from 'tfjs-prune';
 *
 * class Doubler extends tf.layers.Layer implements PrunableLayer {
 *   static className = 'Doubler';
 *   override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
 *     return tf.tidy(() => (Array.isArray(inputs) ? inputs[0] : inputs).mul(2));
 *   }
 *   channelRule(): LayerChannelRule {
 *     return { type: 'elementwise' }; // channel c stays channel c, no weights
 *   }
 *   flops(_inputShapes: LayerShape[], outputShapes: LayerShape[]): number {
 *     return outputShapes[0].slice(1).reduce<number>((n, d) => n * (d ?? 1), 1); // one per element
 *   }
 * }
 * tf.serialization.registerClass(Doubler);
 * ```
 */
export interface PrunableLayer {
  /**
   * How the layer moves channels. Called on every analysis (read only: it must not change the
   * layer). A malformed rule, or one that does not fit the layer's weights and shapes, makes
   * `analyze`/`prune` throw a `PruneError` with code `INVALID_LAYER_RULE`.
   */
  channelRule(): LayerChannelRule;
  /**
   * Multiply-accumulates of one application of the layer to ONE example, from the shapes of that
   * application (batch axis first). Counted by `countFlops` (and the FLOPs-aware criteria, which
   * may call it with narrower hypothetical shapes). Must return a finite number `>= 0`.
   */
  flops?(inputShapes: LayerShape[], outputShapes: LayerShape[]): number;
}

/** Whether the layer declares a channel rule (implements {@link PrunableLayer}). */
export function declaresChannelRule(layer: unknown): layer is PrunableLayer {
  return typeof (layer as { channelRule?: unknown } | null)?.channelRule === 'function';
}

/** Whether the layer declares its own FLOPs count ({@link PrunableLayer.flops}). */
export function declaresFlops(layer: unknown): layer is Required<Pick<PrunableLayer, 'flops'>> {
  return typeof (layer as { flops?: unknown } | null)?.flops === 'function';
}
