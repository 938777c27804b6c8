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
export { criteria } from './criteria/criteria';
export type { BnScaleOptions } from './criteria/bn-scale';
export type { DataCriterionOptions } from './criteria/stats-criterion';
export type { RandomOptions } from './criteria/random';
export type { OracleOptions } from './criteria/oracle';
export type {
  ChannelStats,
  ChannelValues,
  Criterion,
  CriterionInput,
  CriterionNeed,
  CriterionOptions,
  GroupScores,
  Normalization,
  ProducerWeights,
  Reduction,
} from './criteria/criterion';
export { scoreGroups } from './criteria/score-groups';
export type { ScoreGroupsOptions } from './criteria/score-groups';
export { normalizeScores } from './criteria/normalize-scores';
export { reduceChannelValues } from './criteria/reduce-channel-values';
export type { DataSource, DatasetBatch, TensorData } from './data/data-source';
export type { LossSpec } from './data/per-example-loss';
export { evaluateCriteria } from './criteria/evaluate-criteria';
export type { CriterionEvaluation, EvaluateCriteriaOptions, EvaluateCriteriaResult } from './criteria/evaluate-criteria';
