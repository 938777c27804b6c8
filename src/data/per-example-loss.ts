import * as tf from '@tensorflow/tfjs';
import { PruneError } from '../errors';

/**
 * A loss: the name of a built-in (`'categoricalCrossentropy'`, `'sparseCategoricalCrossentropy'`,
 * `'binaryCrossentropy'`, `'meanSquaredError'`, `'meanAbsoluteError'`, in camelCase or
 * snake_case; `'mse'`, `'mae'`), or a function of `(yTrue, yPred)` returning one value per
 * example (shape `[batch]`, or `[batch, ...]`, averaged over the other axes). For a model with
 * several outputs, one per output, in output order (their sum is the loss).
 *
 * @example
 * ```ts
 * const loss: LossSpec = 'categoricalCrossentropy';
 * const huber: LossSpec = (yTrue, yPred) => tf.losses.huberLoss(yTrue, yPred, undefined, 1, tf.Reduction.NONE);
 * ```
 */
export type LossSpec = string | ((yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor);

/** A loss of one output: per-example values `[batch]`. */
type OutputLoss = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor1D;

const EPSILON = 1e-7;

/** Mean over every axis but the first: `[batch, ...]` -> `[batch]`. */
function perExample(t: tf.Tensor): tf.Tensor1D {
  return (t.rank <= 1 ? t : t.mean(t.shape.map((_, i) => i).slice(1))) as tf.Tensor1D;
}

function categorical(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  const last = yPred.rank - 1;
  const p = yPred.div(yPred.sum(last, true)).clipByValue(EPSILON, 1 - EPSILON);
  return yTrue.toFloat().mul(p.log()).sum(last).neg();
}

const BUILT_INS: Record<string, OutputLoss> = {
  categoricalcrossentropy: (yTrue, yPred) => perExample(categorical(yTrue, yPred)),
  sparsecategoricalcrossentropy: (yTrue, yPred) => {
    const classes = yPred.shape[yPred.rank - 1] as number;
    const labels = yTrue.reshape(yPred.shape.slice(0, -1)).floor().toInt();
    return perExample(categorical(tf.oneHot(labels.flatten(), classes).reshape(yPred.shape), yPred));
  },
  binarycrossentropy: (yTrue, yPred) => {
    const p = yPred.clipByValue(EPSILON, 1 - EPSILON);
    const y = yTrue.toFloat();
    return perExample(y.mul(p.log()).add(tf.scalar(1).sub(y).mul(tf.scalar(1).sub(p).log())).neg());
  },
  meansquarederror: (yTrue, yPred) => perExample(yTrue.toFloat().sub(yPred).square()),
  meanabsoluteerror: (yTrue, yPred) => perExample(yTrue.toFloat().sub(yPred).abs()),
};
BUILT_INS.mse = BUILT_INS.meansquarederror;
BUILT_INS.mae = BUILT_INS.meanabsoluteerror;

const KNOWN = "'categoricalCrossentropy', 'sparseCategoricalCrossentropy', 'binaryCrossentropy', 'meanSquaredError', 'meanAbsoluteError'";

function outputLoss(spec: unknown, where: string): OutputLoss {
  if (typeof spec === 'function') {
    const fn = spec as (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;
    return (yTrue, yPred) => {
      const value = fn(yTrue, yPred);
      if (value.rank === 0 || value.shape[0] !== yPred.shape[0]) {
        throw new PruneError(
          'INVALID_OPTION',
          `${where} returned shape [${value.shape.join(', ')}] for a batch of ${yPred.shape[0]} examples, but one loss per example is needed (shape [${yPred.shape[0]}]). ` +
            'Return per-example values, e.g. use tf.losses.* with reduction tf.Reduction.NONE.',
        );
      }
      return perExample(value);
    };
  }
  if (typeof spec === 'string') {
    const fn = BUILT_INS[spec.replace(/_/g, '').toLowerCase()];
    if (fn) return fn;
    throw new PruneError('INVALID_OPTION', `${where}: unknown loss '${spec}'. Use one of ${KNOWN}, or pass a function (yTrue, yPred) => per-example loss.`);
  }
  throw new PruneError('INVALID_OPTION', `${where}: a loss must be a name (${KNOWN}) or a function; got ${spec === null ? 'null' : typeof spec}.`);
}

/**
 * The per-example loss of a model: the given `loss`, else the loss it was compiled with. Returns a
 * function of the label and output lists giving `[batch]` losses (summed over outputs).
 *
 * @example
 * ```ts
 * const lossOf = perExampleLoss(model, 'categoricalCrossentropy');
 * const perExample = tf.tidy(() => lossOf([y], [model.predict(x) as tf.Tensor]));
 * ```
 */
export function perExampleLoss(model: tf.LayersModel, loss: LossSpec | LossSpec[] | undefined): (yTrue: tf.Tensor[], yPred: tf.Tensor[]) => tf.Tensor1D {
  const outputs = model.outputs.length;
  let spec: unknown = loss ?? (model as unknown as { loss?: unknown }).loss;
  if (spec === undefined || spec === null) {
    throw new PruneError(
      'MISSING_LOSS',
      `This criterion needs a loss, but none was given and model '${model.name}' is not compiled. ` +
        `Pass \`loss\` (e.g. loss: 'categoricalCrossentropy') or compile the model first.`,
    );
  }
  if (!Array.isArray(spec) && typeof spec === 'object') {
    const byName = spec as Record<string, unknown>;
    spec = model.outputNames.map((name) => byName[name]);
  }
  const list = Array.isArray(spec) ? spec : new Array(outputs).fill(spec);
  if (list.length !== outputs) {
    throw new PruneError('INVALID_OPTION', `loss: model '${model.name}' has ${outputs} outputs but ${list.length} losses were given; give one per output, in output order.`);
  }
  const origin = loss === undefined ? `the compiled loss of model '${model.name}'` : 'loss';
  const fns = list.map((s, i) => outputLoss(s, outputs > 1 ? `${origin}[${i}]` : origin));
  return (yTrue, yPred) => {
    let total = fns[0](yTrue[0], yPred[0]);
    for (let i = 1; i < fns.length; i++) total = total.add(fns[i](yTrue[i], yPred[i]));
    return total;
  };
}
