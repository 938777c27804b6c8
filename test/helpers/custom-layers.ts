import * as tf from '@tensorflow/tfjs';
import type { LayerChannelRule, LayerShape, PrunableLayer } from '../../src/graph/prunable-layer';

type Args = tf.serialization.ConfigDict & { name?: string };
const single = (inputs: tf.Tensor | tf.Tensor[]): tf.Tensor => (Array.isArray(inputs) ? inputs[0] : inputs);
const lastDim = (shape: tf.Shape | tf.Shape[]): number => {
  const s = (Array.isArray(shape[0]) ? shape[0] : shape) as tf.Shape;
  return s[s.length - 1] as number;
};

/**
 * A learnable scale per channel (elementwise, weight `scale [channels]`), and an optional
 * channel-independent `offset` scalar. `flops` is declared when `countFlops` is true.
 */
export class TestChannelScale extends tf.layers.Layer implements PrunableLayer {
  static className = 'TestChannelScale';
  private scale!: tf.LayerVariable;
  private offset: tf.LayerVariable | null = null;
  readonly withOffset: boolean;

  constructor(args: Args & { withOffset?: boolean } = {}) {
    super(args);
    this.withOffset = args.withOffset === true;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const init = tf.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: 11 });
    this.scale = this.addWeight('scale', [lastDim(inputShape)], 'float32', init);
    if (this.withOffset) this.offset = this.addWeight('offset', [], 'float32', tf.initializers.constant({ value: 0.25 }));
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const y = single(inputs).mul(this.scale.read());
      return this.offset ? y.add(this.offset.read()) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), withOffset: this.withOffset };
  }

  channelRule(): LayerChannelRule {
    return { type: 'elementwise', weights: this.withOffset ? { scale: -1, offset: null } : { scale: -1 } };
  }
}
tf.serialization.registerClass(TestChannelScale);

/** TestChannelScale that also counts itself: one MAC per output element. */
export class TestCountedScale extends TestChannelScale {
  static override className = 'TestCountedScale';
  flops(_inputShapes: LayerShape[], outputShapes: LayerShape[]): number {
    return outputShapes[0].slice(1).reduce<number>((n, d) => n * (d as number), 1);
  }
}
tf.serialization.registerClass(TestCountedScale);

/**
 * A custom producer: a position-wise projection of the last axis, `kernel [in, units]`, with a
 * per-unit `bias [units]` and a stored gain `gain [units, 1]` (output axis 0 on a rank-2 weight).
 */
export class TestProjection extends tf.layers.Layer implements PrunableLayer {
  static className = 'TestProjection';
  readonly units: number;
  private kernel!: tf.LayerVariable;
  private bias!: tf.LayerVariable;
  private gain!: tf.LayerVariable;

  constructor(args: Args & { units: number }) {
    super(args);
    this.units = args.units;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    this.kernel = this.addWeight('kernel', [lastDim(inputShape), this.units], 'float32', tf.initializers.glorotUniform({ seed: 3 }));
    this.bias = this.addWeight('bias', [this.units], 'float32', tf.initializers.constant({ value: 0.1 }));
    this.gain = this.addWeight('gain', [this.units, 1], 'float32', tf.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: 5 }));
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [...s.slice(0, -1), this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs);
      const flat = x.reshape([-1, x.shape[x.rank - 1]]);
      const y = flat.matMul(this.kernel.read()).add(this.bias.read()).mul(this.gain.read().reshape([this.units]));
      return y.reshape([...x.shape.slice(0, -1), this.units]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units };
  }

  channelRule(): LayerChannelRule {
    return { type: 'producer', sizeField: 'units', weights: { kernel: { input: 0, output: 1 }, bias: { output: 0 }, gain: { output: 0 } } };
  }

  flops(inputShapes: LayerShape[], outputShapes: LayerShape[]): number {
    // From the shapes only (the FLOPs-aware criteria pass hypothetical narrower shapes).
    const out = outputShapes[0];
    const positions = out.slice(1, -1).reduce<number>((n, d) => n * (d as number), 1);
    const inUnits = inputShapes[0][inputShapes[0].length - 1] as number;
    return positions * inUnits * (out[out.length - 1] as number);
  }
}
tf.serialization.registerClass(TestProjection);

/**
 * A layer whose channel rule is whatever the test sets (to check validation): it repeats its input
 * `widen` times on the channel axis, has one weight `w [inputChannels]` and reports its output
 * width as `size` in its config. Not registered: these models are only analysed.
 */
export class TestDeclared extends tf.layers.Layer {
  static className = 'TestDeclared';
  private size = 0;
  constructor(
    private readonly rule: () => unknown,
    args: Args & { widen?: number } = {},
  ) {
    super(args);
    this.widen = args.widen ?? 1;
  }
  private readonly widen: number;
  override build(inputShape: tf.Shape | tf.Shape[]): void {
    this.addWeight('w', [lastDim(inputShape)], 'float32', tf.initializers.ones());
    this.size = lastDim(inputShape) * this.widen;
    this.built = true;
  }
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [...s.slice(0, -1), lastDim(s) * this.widen];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.concat(new Array<tf.Tensor>(this.widen).fill(single(inputs)), -1));
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), size: this.size };
  }
  channelRule(): LayerChannelRule {
    return this.rule() as LayerChannelRule;
  }
}
