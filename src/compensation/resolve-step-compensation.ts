import { PruneError } from '../errors';
import type { DataSource } from '../data/data-source';
import { resolveCompensation, type CompensateOptions, type ResolvedCompensation } from './compensate-options';

/**
 * Resolves the `compensate` option of `createPruner` and `pruneIteratively`: `false` or absent is
 * off (`null`), `true` is every default, an object may leave out `data`, which then comes from
 * `defaultData` (or is refused with `MISSING_DATA` naming `missing`, when there is none). A layer
 * short of calibration data is skipped, not fatal: a long run does not die of one wide layer.
 */
export function resolveStepCompensation(
  option: boolean | Partial<CompensateOptions> | undefined,
  defaultData: (() => DataSource) | undefined,
  where: string,
  missing: string,
): ResolvedCompensation | null {
  if (option === undefined || option === false) return null;
  if (option !== true && (typeof option !== 'object' || option === null || Array.isArray(option))) {
    throw new PruneError('INVALID_OPTION', `${where}: compensate must be true, false or an object such as { damping: 0.01 }; got ${option === null ? 'null' : Array.isArray(option) ? 'an array' : typeof option}.`);
  }
  const given: Partial<CompensateOptions> = option === true ? {} : option;
  let data = given.data;
  if (data === undefined) {
    if (defaultData === undefined) {
      throw new PruneError('MISSING_DATA', `${where}: compensate needs calibration samples (no labels): ${missing}`);
    }
    data = defaultData();
  }
  return { ...resolveCompensation({ ...given, data }, where), onShortData: 'skip' };
}
