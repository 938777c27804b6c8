import type * as tf from '@tensorflow/tfjs';
import { match } from 'ts-pattern';
import { PruneError } from '../errors';
import { declaresFlops } from '../graph/prunable-layer';
import type { Dims } from './model-nodes';

/**
 * Layer classes that do no multiply-accumulate work by this library's definition: activations,
 * pooling, merges other than Dot, reshapes, dropout and noise, padding/cropping/resizing,
 * Embedding (a table lookup) and the input layer. They are counted as 0 MACs, not as unknown.
 */
const ZERO_MAC_CLASSES: ReadonlySet<string> = new Set([
  'InputLayer',
  // Activations (element-wise).
  'Activation', 'ReLU', 'LeakyReLU', 'PReLU', 'ELU', 'ThresholdedReLU', 'Softmax',
  // Dropout and noise (identity at inference).
  'Dropout', 'AlphaDropout', 'GaussianDropout', 'GaussianNoise', 'SpatialDropout1D',
  // Shape changes.
  'Flatten', 'Reshape', 'Permute', 'RepeatVector', 'Masking',
  // Element-wise merges and concatenation.
  'Add', 'Average', 'Concatenate', 'Maximum', 'Minimum', 'Multiply',
  // Pooling.
  'MaxPooling1D', 'MaxPooling2D', 'MaxPooling3D',
  'AveragePooling1D', 'AveragePooling2D', 'AveragePooling3D',
  'GlobalAveragePooling1D', 'GlobalAveragePooling2D', 'GlobalMaxPooling1D', 'GlobalMaxPooling2D',
  // Padding, cropping, resizing.
  'ZeroPadding2D', 'Cropping2D', 'UpSampling2D', 'CenterCrop', 'Resizing',
  // Lookups and preprocessing.
  'Embedding', 'CategoryEncoding', 'Rescaling', 'RandomWidth', 'RandomHeight',
]);

/**
 * Multiply-accumulates of ONE application of `layer` to ONE example, from the shapes of that
 * application (batch axis first, ignored). A layer with its own `flops()` method (PrunableLayer)
 * is counted by it. Returns `null` when the layer cannot be counted: an
 * unknown class (custom layer without `flops()`), an unknown RNN cell, or a size that is not known statically
 * (a `null` dimension other than the batch). The rules are listed in docs/metrics.md.
 *
 * Internal helper of {@link countFlops}; nested models are handled by the caller.
 */
export function layerMacs(layer: tf.layers.Layer, inputShapes: Dims[], outputShapes: Dims[]): number | null {
  const className = layer.getClassName();
  // A layer that counts itself (PrunableLayer.flops) is taken at its word.
  if (declaresFlops(layer)) return declaredMacs(layer, className, inputShapes, outputShapes);
  if (ZERO_MAC_CLASSES.has(className)) return 0;
  const input = inputShapes[0];
  const output = outputShapes[0];
  if (input === undefined || output === undefined) return null;
  // Read the config only for the classes that need it (a custom layer's getConfig may throw).
  let cached: Record<string, unknown> | undefined;
  const cfg = (): Record<string, unknown> => (cached ??= layer.getConfig());
  return match(className)
    .with('Dense', () => {
      // out = [batch, ...positions, units]; in = [batch, ...positions, inputUnits].
      return mul(prod(output.slice(1, -1)), last(input), last(output));
    })
    .with('Conv1D', 'Conv2D', 'Conv3D', () => {
      const format = dataFormat(layer, cfg());
      return mul(prod(spatial(output, format)), prod(numberList(cfg().kernelSize)), channels(input, format), channels(output, format));
    })
    .with('Conv2DTranspose', 'Conv3DTranspose', () => {
      // Every input position scatters a kernel-sized patch into the output.
      const format = dataFormat(layer, cfg());
      return mul(prod(spatial(input, format)), prod(numberList(cfg().kernelSize)), channels(input, format), channels(output, format));
    })
    .with('DepthwiseConv2D', () => {
      const format = dataFormat(layer, cfg());
      return mul(prod(spatial(output, format)), prod(numberList(cfg().kernelSize)), channels(input, format), positiveNumber(setting(layer, cfg(), 'depthMultiplier')));
    })
    .with('SeparableConv2D', () => {
      const format = dataFormat(layer, cfg());
      const positions = prod(spatial(output, format));
      const depthwiseOut = mul(channels(input, format), positiveNumber(setting(layer, cfg(), 'depthMultiplier')));
      const depthwise = mul(positions, prod(numberList(cfg().kernelSize)), depthwiseOut);
      const pointwise = mul(positions, depthwiseOut, channels(output, format));
      return depthwise === null || pointwise === null ? null : depthwise + pointwise;
    })
    .with('BatchNormalization', 'LayerNormalization', () => {
      // One scale-and-shift per output element (BatchNormalization folds into it at inference).
      return prod(output.slice(1));
    })
    .with('Dot', () => {
      // Each output element is a dot product over the contracted axis of the first input.
      const axes = numberList(cfg().axes);
      const axis = axes === null ? null : axes[0]!;
      if (axis === null) return null;
      const contracted = input[axis < 0 ? input.length + axis : axis];
      return mul(prod(output.slice(1)), contracted ?? null);
    })
    .with('SimpleRNN', 'GRU', 'LSTM', 'RNN', () => recurrentMacs(layer, input))
    .with('ConvLSTM2D', () => convLstmMacs(layer, input, output))
    .with('Bidirectional', () => {
      // Two copies of the wrapped RNN (forward and backward) read the same input.
      const inner = recurrentMacs(wrappedLayer(layer), input);
      return inner === null ? null : 2 * inner;
    })
    .with('TimeDistributed', () => {
      // The wrapped layer runs once per timestep on the shape without the time axis.
      const inner = wrappedLayer(layer);
      if (inner === undefined) return null;
      const perStep = layerMacs(inner, [dropTime(input)], [dropTime(output)]);
      return mul(input[1] ?? null, perStep);
    })
    .otherwise(() => null);
}

/** Calls a custom layer's own `flops()` (on copies of the shapes) and checks what it returns. */
function declaredMacs(
  layer: tf.layers.Layer & { flops(inputShapes: Dims[], outputShapes: Dims[]): number },
  className: string,
  inputShapes: Dims[],
  outputShapes: Dims[],
): number {
  const who = `Layer '${layer.name}' (${className})`;
  let macs: unknown;
  try {
    macs = layer.flops(inputShapes.map((s) => [...s]), outputShapes.map((s) => [...s]));
  } catch (e) {
    if (e instanceof PruneError) throw e;
    throw new PruneError('INVALID_LAYER_RULE', `${who}: its flops() threw: ${e instanceof Error ? e.message : String(e)}. Make flops() return the MACs of one example without throwing (see docs/guides/custom-layers.md).`);
  }
  if (typeof macs !== 'number' || !Number.isFinite(macs) || macs < 0) {
    throw new PruneError(
      'INVALID_LAYER_RULE',
      `${who}: its flops() returned ${String(macs)} for input shapes ${JSON.stringify(inputShapes)}; expected a finite number >= 0 (multiply-accumulates of one example). ` +
        'Fix flops(), or remove it to have the layer listed in countFlops(model).notCounted (see docs/guides/custom-layers.md).',
    );
  }
  return macs;
}

/** Gates of each recurrent cell class: a cell does `gates * (inputDim + units) * units` MACs per step. */
const CELL_GATES: Readonly<Record<string, number>> = { SimpleRNNCell: 1, GRUCell: 3, LSTMCell: 4 };

interface CellLike {
  getClassName(): string;
  units?: unknown;
  cells?: unknown;
}

/** MACs of an RNN layer (LSTM, GRU, SimpleRNN, RNN over such cells) over all its timesteps. */
function recurrentMacs(layer: tf.layers.Layer | undefined, input: Dims): number | null {
  const cell = (layer as unknown as { cell?: CellLike } | undefined)?.cell;
  if (cell === undefined || input.length !== 3) return null;
  const perStep = cellMacs(cell, input[2] ?? null);
  return perStep === null ? null : mul(input[1] ?? null, perStep.macs);
}

/** Per-timestep MACs of a cell and the size of its output (input of the next stacked cell). */
function cellMacs(cell: CellLike, inputDim: number | null): { macs: number; units: number } | null {
  if (inputDim === null) return null;
  const className = cell.getClassName();
  if (className === 'StackedRNNCells' && Array.isArray(cell.cells)) {
    let macs = 0;
    let dim = inputDim;
    for (const inner of cell.cells as CellLike[]) {
      const step = cellMacs(inner, dim);
      if (step === null) return null;
      macs += step.macs;
      dim = step.units;
    }
    return { macs, units: dim };
  }
  const gates = CELL_GATES[className];
  const units = cell.units;
  if (gates === undefined || typeof units !== 'number') return null;
  return { macs: gates * (inputDim + units) * units, units };
}

/** ConvLSTM2D: per timestep, 4 gates of (input conv + recurrent 'same' conv) at each output position. */
function convLstmMacs(layer: tf.layers.Layer, input: Dims, output: Dims): number | null {
  const cell = (layer as unknown as { cell?: { filters?: unknown; kernelSize?: unknown; dataFormat?: unknown } }).cell;
  if (cell === undefined || input.length !== 5) return null;
  const format = cell.dataFormat === 'channelsFirst' ? 'channelsFirst' : 'channelsLast';
  const filters = positiveNumber(cell.filters);
  // Output is [batch, (time,) h, w, filters] or [batch, (time,) filters, h, w].
  const positions = prod(format === 'channelsFirst' ? output.slice(-2) : output.slice(-3, -1));
  const inChannels = format === 'channelsFirst' ? input[2] ?? null : last(input);
  const fanIn = inChannels === null || filters === null ? null : inChannels + filters;
  return mul(input[1] ?? null, 4, positions, prod(numberList(cell.kernelSize)), fanIn, filters);
}

type DataFormat = 'channelsFirst' | 'channelsLast';

/**
 * A layer setting from its config, else from the layer's own field: some layers leave settings
 * out of `getConfig()` (Conv1D drops `dataFormat`, SeparableConv2D drops `depthMultiplier`).
 */
function setting(layer: tf.layers.Layer, config: Record<string, unknown>, key: string): unknown {
  return config[key] ?? (layer as unknown as Record<string, unknown>)[key];
}

function dataFormat(layer: tf.layers.Layer, config: Record<string, unknown>): DataFormat {
  return setting(layer, config, 'dataFormat') === 'channelsFirst' ? 'channelsFirst' : 'channelsLast';
}

function spatial(shape: Dims, format: DataFormat): Dims {
  return format === 'channelsFirst' ? shape.slice(2) : shape.slice(1, -1);
}

function channels(shape: Dims, format: DataFormat): number | null {
  return (format === 'channelsFirst' ? shape[1] : shape[shape.length - 1]) ?? null;
}

function dropTime(shape: Dims): Dims {
  return [shape[0] ?? null, ...shape.slice(2)];
}

function last(shape: Dims): number | null {
  return shape[shape.length - 1] ?? null;
}

function wrappedLayer(layer: tf.layers.Layer): tf.layers.Layer | undefined {
  return (layer as unknown as { layer?: tf.layers.Layer }).layer;
}

function numberList(value: unknown): number[] | null {
  if (typeof value === 'number') return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'number')) return value as number[];
  return null;
}

function positiveNumber(value: unknown): number | null {
  return typeof value === 'number' && value > 0 ? value : null;
}

/** Product of the sizes, 1 for no sizes, `null` if any is unknown. */
function prod(dims: ReadonlyArray<number | null> | null): number | null {
  if (dims === null) return null;
  let p = 1;
  for (const d of dims) {
    if (d === null || d === undefined) return null;
    p *= d;
  }
  return p;
}

/** Product of the factors, `null` if any is unknown. */
function mul(...factors: Array<number | null>): number | null {
  return prod(factors);
}
