/**
 * Structural pruning for TensorFlow.js models: analyse a `tf.LayersModel` into groups of channels,
 * rank the channels with a criterion, remove the weakest for real, fine-tune, and repeat until a
 * stopping policy is met ({@link pruneIteratively}), or drive the steps yourself
 * ({@link createPruner}, {@link prune}). Browser-safe: Node-only helpers are in `tfjs-prune/node`,
 * wasm training support in `tfjs-prune/wasm`.
 *
 * @module tfjs-prune
 */
// Public API of tfjs-prune. Named exports only.
export { PruneError } from './errors';
export type { PruneErrorCode } from './errors';
export { analyze } from './graph/analyze';
export type { Analysis, PruningGroup, GroupMember, GroupRole } from './graph/pruning-group';
export type {
  BarrierChannelRule,
  ElementwiseChannelRule,
  LayerChannelRule,
  LayerShape,
  PrunableLayer,
  ProducerChannelRule,
  WeightChannelAxes,
} from './graph/prunable-layer';
export { prune } from './surgery/prune';
export type { Removals } from './surgery/validate-removals';
export type { PruneOptions } from './surgery/prune';
export type { CompensateOptions } from './compensation/compensate-options';
export type { CompensatedLayer, CompensationRecord } from './compensation/compensation-record';
export { countParams } from './metrics/count-params';
export type { CountParamsResult } from './metrics/count-params';
export { countFlops } from './metrics/count-flops';
export type { CountFlopsOptions, CountFlopsResult } from './metrics/count-flops';
export type { InputShape } from './metrics/input-shape';
export { measureLatency } from './metrics/measure-latency';
export type { MeasureLatencyOptions, MeasureLatencyResult } from './metrics/measure-latency';
export { measureLayerLatency } from './metrics/measure-layer-latency';
export type { LayerLatencyResult, MeasureLayerLatencyOptions } from './metrics/measure-layer-latency';
export { storedSize } from './metrics/stored-size';
export type { StoredSizeResult } from './metrics/stored-size';
export { criteria } from './criteria/criteria';
export type { BnScaleOptions } from './criteria/bn-scale';
export type { DataCriterionOptions } from './criteria/stats-criterion';
export type { ObsOptions } from './criteria/obs';
export type { ConsumerHessian } from './criteria/consumer-hessians';
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
export { pruneIteratively } from './prune-iteratively';
export type { PruneResult } from './prune-iteratively';
export type { PruneData, PruneIterativelyOptions } from './loop/loop-config';
export type { DeployOptions } from './loop/deploy-phase';
export { createPruner } from './pruner';
export type { Objective, Pruner, PrunerOptions, PrunerStep } from './pruner';
export type { ScheduleOptions } from './schedule/schedule-options';
export { distill } from './finetune/fine-tune-options';
export type { FineTuneContext, FineTuneFunction, FineTuneOptions, TrainingAmount } from './finetune/fine-tune-options';
export type { CompileOptions } from './finetune/compile-options';
export { accuracy } from './metrics/metric';
export type { Metric } from './metrics/metric';
export { targetFlops } from './stopping/target-flops';
export { targetParams } from './stopping/target-params';
export { targetLatency } from './stopping/target-latency';
export { targetSize } from './stopping/target-size';
export { maxMetricDrop } from './stopping/max-metric-drop';
export { minMetric } from './stopping/min-metric';
export { maxSteps } from './stopping/max-steps';
export { anyOf } from './stopping/any-of';
export { allOf } from './stopping/all-of';
export type { LoopState, StopContext, StopDecision, StopPolicy } from './stopping/stop-policy';
export type { Measurement, MetricDirection } from './report/measurement';
export type { StepRecord, StopReason } from './report/step-record';
export type { DeployReport, PruneReportJSON } from './report/report-json';
export { memoryCheckpointStore } from './checkpoint/memory-checkpoint-store';
export { modelFromArtifacts, modelToArtifacts } from './checkpoint/model-artifacts';
export type { Checkpoint, CheckpointStore } from './checkpoint/checkpoint-store';
export { createReport, reportFromJSON } from './report/prune-report';
export type { PruneReport } from './report/prune-report';
export type { ReportMarkdownOptions } from './report/report-markdown';
export { VEGA_LITE_SCHEMA } from './report/report-vega-lite';
export type { ReportVegaLiteOptions, VegaLiteSpec } from './report/report-vega-lite';
export { learnToPrune } from './agent/learn-to-prune';
export type { LearnToPruneOptions } from './agent/learn-to-prune';
export { agentCriterion } from './agent/agent-criterion';
export type { AgentCriterionOptions } from './agent/agent-criterion';
export { agentReward } from './agent/agent-reward';
export type { AgentRewardInput } from './agent/agent-reward';
export { PruningAgent } from './agent/pruning-agent';
export type { PruningAgentOptions } from './agent/pruning-agent';
export type { AgentTrainingOptions } from './agent/train-layer-agent';
export type { AgentLayerTrace } from './report/report-json';
export { foldBatchNorm } from './deploy/fold-batch-norm';
export type { FoldBatchNormResult } from './deploy/fold-batch-norm';
export { saveQuantized } from './deploy/save-quantized';
export type { SaveQuantizedOptions, SaveQuantizedResult } from './deploy/save-quantized';
export type { StorageDtype, StoredTensor } from './deploy/quantize-artifacts';
