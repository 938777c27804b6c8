import { PruneError } from '../errors';
import type { CriterionOptions, Normalization, Reduction } from './criterion';
import { assertNormalization } from './normalize-scores';
import { assertReduction } from './reduce-channel-values';

/** Validated shared options with their defaults filled in. */
export interface ResolvedCriterionOptions {
  reduce: Reduction;
  normalize: Normalization;
  flopsPenalty: number;
}

/**
 * Checks the shared options of a built-in criterion factory (throws a PruneError naming the
 * factory) and fills in the defaults. `defaults.reduce: false` marks a criterion without per-producer
 * scores, which refuses a `reduce` option.
 */
export function criterionOptions(
  options: CriterionOptions | undefined,
  factory: string,
  defaults: { normalize: Normalization; reduce?: boolean } = { normalize: 'l2' },
  extraKeys: readonly string[] = [],
): ResolvedCriterionOptions {
  const where = `criteria.${factory}`;
  if (options === undefined) return { reduce: 'mean', normalize: defaults.normalize, flopsPenalty: 0 };
  if (options === null || typeof options !== 'object') {
    throw new PruneError('INVALID_OPTION', `${where}: options must be an object; got ${options === null ? 'null' : typeof options}.`);
  }
  const known = new Set([...(defaults.reduce === false ? [] : ['reduce']), 'normalize', 'flopsPenalty', ...extraKeys]);
  const unknown = Object.keys(options).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw new PruneError('INVALID_OPTION', `${where}: unknown option(s) ${unknown.join(', ')}; known options: ${[...known].join(', ')}.`);
  }
  const reduce = options.reduce ?? 'mean';
  const normalize = options.normalize ?? defaults.normalize;
  const flopsPenalty = options.flopsPenalty ?? 0;
  assertReduction(reduce, where);
  assertNormalization(normalize, where);
  if (typeof flopsPenalty !== 'number' || !Number.isFinite(flopsPenalty) || flopsPenalty < 0) {
    throw new PruneError('INVALID_OPTION', `${where}: flopsPenalty must be a finite number >= 0; got ${String(flopsPenalty)}.`);
  }
  return { reduce, normalize, flopsPenalty };
}
