// Public API of tfjs-prune. Named exports only.
export { PruneError } from './errors';
export type { PruneErrorCode } from './errors';
