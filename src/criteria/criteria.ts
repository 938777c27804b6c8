import { activationStd } from './activation-std';
import { apoz } from './apoz';
import { bnScale } from './bn-scale';
import { fpgm } from './fpgm';
import { l1Norm } from './l1-norm';
import { l2Norm } from './l2-norm';
import { meanActivation } from './mean-activation';
import { minWeight } from './min-weight';
import { obs } from './obs';
import { oracle } from './oracle';
import { random } from './random';
import { taylor } from './taylor';
import { taylorWeight } from './taylor-weight';

/**
 * The built-in criteria, as factories returning {@link Criterion} objects (higher score = keep):
 * - weights only: `l1Norm`, `l2Norm`, `minWeight`, `bnScale`, `fpgm`;
 * - data (a pass over scoring batches): `meanActivation`, `activationStd`, `apoz`, `taylor`
 *   (the default of the library), `taylorWeight`, `obs` (structured Optimal Brain Surgeon: the
 *   error left after the consumers are refit; no labels, the default when there are none);
 * - baselines: `random({ seed })`, `oracle({ mode })`.
 *
 * @example
 * ```ts
 * import { criteria, scoreGroups } from 'tfjs-prune';
 *
 * const byNorm = await scoreGroups(model, criteria.l1Norm());
 * const byTaylor = await scoreGroups(model, criteria.taylor(), { data: { x: xVal, y: yVal } });
 * ```
 *
 * @namespace
 */
export const criteria = {
  l1Norm,
  l2Norm,
  minWeight,
  bnScale,
  fpgm,
  meanActivation,
  activationStd,
  apoz,
  taylor,
  taylorWeight,
  obs,
  random,
  oracle,
} as const;
