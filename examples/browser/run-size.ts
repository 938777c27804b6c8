/**
 * How much work one page run does: `full` (the default, the example proper) or `smoke` (a short
 * run for slow backends, e.g. software-rendered WebGL in headless Chromium, chosen with
 * `?size=smoke`).
 */

/** The sizes of one run. */
export interface RunSize {
  name: 'full' | 'smoke';
  /** Training digits used (the first n of the shipped split); `null` for all. */
  trainDigits: number | null;
  /** Validation digits used (the first n); `null` for all. */
  validationDigits: number | null;
  /** Epochs of training before pruning. */
  epochs: number;
  /** Minibatch size of training and fine-tuning. */
  batchSize: number;
  /** Stop (and roll back) when validation accuracy falls more than this below the baseline. */
  maxAccuracyDrop: number;
  /** Share of the remaining channels removed per pruning step. */
  channelsPerStep: number;
  /** Fine-tuning minibatches after each pruning step. */
  fineTuneSteps: number;
  /** Fine-tuning minibatches of the final fine-tune. */
  finalSteps: number;
}

/** The two run sizes. */
export const RUN_SIZES: Readonly<Record<RunSize['name'], RunSize>> = {
  full: { name: 'full', trainDigits: null, validationDigits: null, epochs: 10, batchSize: 32, maxAccuracyDrop: 0.02, channelsPerStep: 0.05, fineTuneSteps: 60, finalSteps: 150 },
  smoke: { name: 'smoke', trainDigits: 500, validationDigits: 200, epochs: 2, batchSize: 32, maxAccuracyDrop: 0.2, channelsPerStep: 0.2, fineTuneSteps: 8, finalSteps: 10 },
};

/**
 * Reads the `size` query parameter (absent: `full`). Throws a readable error for other values.
 *
 * @example
 * ```ts
 * const size = parseSizeParam(new URLSearchParams(location.search).get('size'));
 * ```
 */
export function parseSizeParam(value: string | null): RunSize {
  if (value === null || value === '' || value === 'full') return RUN_SIZES.full;
  if (value === 'smoke') return RUN_SIZES.smoke;
  throw new Error(`Unknown size "${value}" in the page address: use ?size=full (the default) or ?size=smoke (a short run for slow backends).`);
}
