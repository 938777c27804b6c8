// Public API of tfjs-prune. Named exports only.
export { PruneError } from './errors';
export type { PruneErrorCode } from './errors';
export { analyze } from './graph/analyze';
export type { Analysis, PruningGroup, GroupMember, GroupRole } from './graph/pruning-group';
export { prune } from './surgery/prune';
export type { Removals } from './surgery/validate-removals';
