// Public API of tfjs-prune. Named exports only.
export { PruneError } from './errors';
export type { PruneErrorCode } from './errors';
export { analyze } from './graph/analyze';
export type { Analysis, PruningGroup, GroupMember, GroupRole } from './graph/pruning-group';
export { prune } from './surgery/prune';
export type { Removals } from './surgery/validate-removals';
export { countParams } from './metrics/count-params';
export type { CountParamsResult } from './metrics/count-params';
export { countFlops } from './metrics/count-flops';
export type { CountFlopsResult } from './metrics/count-flops';
export { measureLatency } from './metrics/measure-latency';
export type { MeasureLatencyOptions, MeasureLatencyResult } from './metrics/measure-latency';
