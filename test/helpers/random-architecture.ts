import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { TestChannelScale, TestProjection } from './custom-layers';

type Sym = tf.SymbolicTensor;

/** One step of a generated architecture, applied to the current tensor. */
export type Step =
  | { op: 'conv'; filters: number; kernel: 1 | 3; bias: boolean; activation: 'linear' | 'relu' | 'tanh' }
  | { op: 'dense'; units: number }
  | { op: 'convT'; filters: number; kernel: 1 | 2 }
  | { op: 'bn'; scale: boolean; center: boolean }
  | { op: 'act'; kind: 'relu6' | 'leaky' | 'elu' | 'prelu' | 'sigmoid' }
  | { op: 'dropout' }
  | { op: 'depthwise'; multiplier: 1 | 2 | 3; kernel: 1 | 3 }
  | { op: 'separable'; filters: number; multiplier: 1 | 2 }
  | { op: 'pool'; kind: 'max' | 'avg' }
  | { op: 'pad' }
  | { op: 'customScale'; offset: boolean }
  | { op: 'customProjection'; units: number }
  | { op: 'residual'; merge: 'add' | 'multiply' | 'average' | 'maximum' | 'minimum' }
  | { op: 'fork'; merge: 'add' | 'maximum'; filters: number }
  | { op: 'concat'; filters: number };

const width = fc.integer({ min: 1, max: 5 });

/** Steps valid in a Sequential model (no merges). */
export const sequentialStep: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    op: fc.constant('conv' as const),
    filters: width,
    kernel: fc.constantFrom(1 as const, 3 as const),
    bias: fc.boolean(),
    activation: fc.constantFrom('linear' as const, 'relu' as const, 'tanh' as const),
  }),
  fc.record({ op: fc.constant('dense' as const), units: width }),
  fc.record({ op: fc.constant('convT' as const), filters: width, kernel: fc.constantFrom(1 as const, 2 as const) }),
  fc.record({ op: fc.constant('bn' as const), scale: fc.boolean(), center: fc.boolean() }),
  fc.record({ op: fc.constant('act' as const), kind: fc.constantFrom('relu6' as const, 'leaky' as const, 'elu' as const, 'prelu' as const, 'sigmoid' as const) }),
  fc.record({ op: fc.constant('dropout' as const) }),
  fc.record({ op: fc.constant('depthwise' as const), multiplier: fc.constantFrom(1 as const, 2 as const, 3 as const), kernel: fc.constantFrom(1 as const, 3 as const) }),
  fc.record({ op: fc.constant('separable' as const), filters: width, multiplier: fc.constantFrom(1 as const, 2 as const) }),
  fc.record({ op: fc.constant('pool' as const), kind: fc.constantFrom('max' as const, 'avg' as const) }),
  fc.record({ op: fc.constant('pad' as const) }),
  // Custom layers declaring their channel rule (PrunableLayer): elementwise and producer.
  fc.record({ op: fc.constant('customScale' as const), offset: fc.boolean() }),
  fc.record({ op: fc.constant('customProjection' as const), units: width }),
);

/** Steps of a functional model: the above plus residual merges, forks and concatenations. */
export const functionalStep: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: sequentialStep, weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('residual' as const), merge: fc.constantFrom('add' as const, 'multiply' as const, 'average' as const, 'maximum' as const, 'minimum' as const) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('fork' as const), merge: fc.constantFrom('add' as const, 'maximum' as const), filters: width }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('concat' as const), filters: width }), weight: 1 },
);

export interface Architecture {
  steps: Step[];
  head: 'flatten' | 'gap';
  hidden: number;
}

export const architecture = (step: fc.Arbitrary<Step>): fc.Arbitrary<Architecture> =>
  fc.record({
    steps: fc.array(step, { minLength: 1, maxLength: 7 }),
    head: fc.constantFrom('flatten' as const, 'gap' as const),
    hidden: fc.integer({ min: 0, max: 4 }),
  });

export const INPUT_SHAPE = [6, 6, 2];

let seed = 0;
const init = (): tf.serialization.ConfigDict => ({ className: 'GlorotUniform', config: { seed: seed++ } });

function makeLayers(step: Step, channels: number, spatial: number): tf.layers.Layer[] {
  switch (step.op) {
    case 'conv':
      return [tf.layers.conv2d({ filters: step.filters, kernelSize: step.kernel, padding: 'same', useBias: step.bias, activation: step.activation, kernelInitializer: init() as never })];
    case 'dense':
      return [tf.layers.dense({ units: step.units, kernelInitializer: init() as never, biasInitializer: 'ones' })];
    case 'convT':
      return [tf.layers.conv2dTranspose({ filters: step.filters, kernelSize: step.kernel, padding: 'same', kernelInitializer: init() as never })];
    case 'bn':
      return [tf.layers.batchNormalization({ scale: step.scale, center: step.center, betaInitializer: 'ones', movingMeanInitializer: 'ones', movingVarianceInitializer: tf.initializers.constant({ value: 2 }) })];
    case 'act':
      return [
        step.kind === 'relu6'
          ? tf.layers.reLU({ maxValue: 6 })
          : step.kind === 'leaky'
            ? tf.layers.leakyReLU({ alpha: 0.1 })
            : step.kind === 'elu'
              ? tf.layers.elu()
              : step.kind === 'prelu'
                ? tf.layers.prelu({ alphaInitializer: tf.initializers.randomUniform({ minval: 0, maxval: 1, seed: seed++ }) })
                : tf.layers.activation({ activation: 'sigmoid' }),
      ];
    case 'dropout':
      return [tf.layers.dropout({ rate: 0.3 })];
    case 'depthwise':
      return [tf.layers.depthwiseConv2d({ kernelSize: step.kernel, depthMultiplier: step.multiplier, padding: 'same', depthwiseInitializer: init() as never, biasInitializer: 'ones' })];
    case 'separable':
      return [tf.layers.separableConv2d({ filters: step.filters, kernelSize: 3, depthMultiplier: step.multiplier, padding: 'same', depthwiseInitializer: init() as never, pointwiseInitializer: init() as never })];
    case 'pool':
      if (spatial < 2) return [];
      return [step.kind === 'max' ? tf.layers.maxPooling2d({ poolSize: 2 }) : tf.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same' })];
    case 'pad':
      return spatial > 8 ? [] : [tf.layers.zeroPadding2d({ padding: 1 })];
    case 'customScale':
      return [new TestChannelScale({ withOffset: step.offset })];
    case 'customProjection':
      return [new TestProjection({ units: step.units })];
    default:
      throw new Error(`not a sequential step: ${step.op} (${channels})`);
  }
}

const mergeLayer = (merge: string): tf.layers.Layer =>
  ({
    add: () => tf.layers.add(),
    multiply: () => tf.layers.multiply(),
    average: () => tf.layers.average(),
    maximum: () => tf.layers.maximum(),
    minimum: () => tf.layers.minimum(),
  })[merge]!();

const conv1x1 = (filters: number): tf.layers.Layer => tf.layers.conv2d({ filters, kernelSize: 1, kernelInitializer: init() as never, biasInitializer: 'ones' });

function head(x: Sym, arch: Architecture): Sym {
  let t = (arch.head === 'flatten' ? tf.layers.flatten() : tf.layers.globalAveragePooling2d({})).apply(x) as Sym;
  if (arch.hidden > 0) t = tf.layers.dense({ units: arch.hidden, activation: 'relu', kernelInitializer: init() as never, biasInitializer: 'ones' }).apply(t) as Sym;
  return tf.layers.dense({ units: 3, kernelInitializer: init() as never }).apply(t) as Sym;
}

/** Builds a functional model from generated steps (deterministic initializers). */
export function buildFunctional(arch: Architecture): tf.LayersModel {
  seed = 0;
  const x = tf.input({ shape: INPUT_SHAPE });
  let t: Sym = x;
  for (const step of arch.steps) {
    const channels = t.shape[3] as number;
    const spatial = t.shape[1] as number;
    if (step.op === 'residual') {
      t = mergeLayer(step.merge).apply([t, conv1x1(channels).apply(t) as Sym]) as Sym;
    } else if (step.op === 'fork') {
      t = mergeLayer(step.merge).apply([conv1x1(step.filters).apply(t) as Sym, conv1x1(step.filters).apply(t) as Sym]) as Sym;
    } else if (step.op === 'concat') {
      t = tf.layers.concatenate().apply([t, conv1x1(step.filters).apply(t) as Sym]) as Sym;
    } else {
      for (const layer of makeLayers(step, channels, spatial)) t = layer.apply(t) as Sym;
    }
  }
  return tf.model({ inputs: x, outputs: head(t, arch) });
}

/** Builds a Sequential model from generated steps. */
export function buildSequential(arch: Architecture): tf.LayersModel {
  seed = 0;
  const model = tf.sequential();
  model.add(tf.layers.inputLayer({ inputShape: INPUT_SHAPE }));
  for (const step of arch.steps) {
    const shape = model.outputs[0].shape;
    for (const layer of makeLayers(step, shape[3] as number, shape[1] as number)) model.add(layer);
  }
  model.add(arch.head === 'flatten' ? tf.layers.flatten() : tf.layers.globalAveragePooling2d({}));
  if (arch.hidden > 0) model.add(tf.layers.dense({ units: arch.hidden, activation: 'relu', kernelInitializer: init() as never, biasInitializer: 'ones' }));
  model.add(tf.layers.dense({ units: 3, kernelInitializer: init() as never }));
  return model;
}

/** Whether TF.js itself can save and reload the model (SeparableConv2D loses depthMultiplier > 1). */
export const roundTrips = (arch: Architecture): boolean => !arch.steps.some((s) => s.op === 'separable' && s.multiplier > 1);
