import type * as tf from '@tensorflow/tfjs';
import { modelFromArtifacts } from '../checkpoint/model-artifacts';
import { foldBatchNorm } from '../deploy/fold-batch-norm';
import type { StorageDtype } from '../deploy/quantize-artifacts';
import { checkStorage, quantizedArtifacts } from '../deploy/save-quantized';
import { PruneError } from '../errors';
import { compileModel, disposeModel, type ResolvedCompile } from '../finetune/compile-options';
import { countFlops } from '../metrics/count-flops';
import { countParams } from '../metrics/count-params';
import type { DeployReport } from '../report/report-json';
import { validationMetrics, type MeasureSettings } from './measure-model';

/**
 * The `deploy` option of `pruneIteratively`: after the run, fold BatchNormalization into the
 * layers before it and measure the model as it will be stored at `dtype`.
 *
 * @example
 * ```ts
 * const deploy: DeployOptions = { dtype: 'uint8' }; // fold, then measure at 8 bits
 * ```
 */
export interface DeployOptions {
  /** The precision the model will be stored at (`saveQuantized`'s dtype). Required. */
  dtype: StorageDtype;
  /** Fold BatchNormalization (`foldBatchNorm`) before storing. Default: true. */
  foldBatchNorm?: boolean;
  /** Float32 tensors with fewer values stay float32, as in `saveQuantized`. Default: 256. */
  minElements?: number;
}

/** The checked deploy settings. */
export interface ResolvedDeploy {
  dtype: StorageDtype;
  fold: boolean;
  minElements: number;
}

/** Checks the `deploy` option (undefined: no deploy step). */
export function resolveDeploy(value: unknown, where: string): ResolvedDeploy | null {
  if (value === undefined) return null;
  if (value === null || typeof value !== 'object') {
    throw new PruneError('INVALID_OPTION', `${where}: deploy must be { dtype, foldBatchNorm?, minElements? }, e.g. { dtype: 'uint8' }; got ${String(value)}.`);
  }
  const unknown = Object.keys(value).filter((k) => !['dtype', 'foldBatchNorm', 'minElements'].includes(k));
  if (unknown.length > 0) throw new PruneError('INVALID_OPTION', `${where}: unknown deploy option(s) ${unknown.join(', ')}; known: dtype, foldBatchNorm, minElements.`);
  const o = value as Partial<DeployOptions>;
  if (o.foldBatchNorm !== undefined && typeof o.foldBatchNorm !== 'boolean') {
    throw new PruneError('INVALID_OPTION', `${where}: deploy.foldBatchNorm must be a boolean; got ${String(o.foldBatchNorm)}.`);
  }
  const { dtype, minElements } = checkStorage(o, `${where}: deploy`);
  return { dtype, fold: o.foldBatchNorm ?? true, minElements };
}

/** Bytes of the `model.json` TF.js writes for these artifacts (topology and a one-file manifest). */
function modelJsonBytes(artifacts: tf.io.ModelArtifacts): number {
  const json = { modelTopology: artifacts.modelTopology, format: artifacts.format, generatedBy: artifacts.generatedBy, convertedBy: artifacts.convertedBy, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }] };
  return new TextEncoder().encode(JSON.stringify(json)).byteLength;
}

/**
 * The loop's deploy step: folds `model` (which it disposes when it folded it), compiles the
 * folded model, and measures it as stored at `dtype` (its validation metrics are those of the
 * model decoded from that storage). Returns the model to hand back and the report entry.
 */
export async function deployPhase(model: tf.LayersModel, d: ResolvedDeploy, compile: ResolvedCompile, measure: MeasureSettings): Promise<{ model: tf.LayersModel; report: DeployReport }> {
  const t = performance.now();
  const fold = d.fold ? foldBatchNorm(model) : { model, folded: [], unfolded: [] };
  try {
    if (fold.model !== model) compileModel(fold.model, compile);
    const float32 = await quantizedArtifacts(fold.model, { dtype: 'float32', minElements: d.minElements });
    const stored = d.dtype === 'float32' ? float32 : await quantizedArtifacts(fold.model, d);
    const decoded = await modelFromArtifacts(stored.artifacts);
    let metrics: Record<string, number>;
    try {
      metrics = await validationMetrics(decoded, measure);
    } finally {
      disposeModel(decoded);
    }
    const bytes = (a: tf.io.ModelArtifacts): number => (a.weightData as ArrayBuffer).byteLength + modelJsonBytes(a);
    const report: DeployReport = {
      dtype: d.dtype,
      minElements: d.minElements,
      folded: fold.folded,
      unfolded: fold.unfolded,
      bytes: bytes(stored.artifacts),
      bytesFloat32: bytes(float32.artifacts),
      keptFloat32: d.dtype === 'float32' ? 0 : stored.tensors.filter((s) => s.dtype !== d.dtype).length,
      params: countParams(fold.model).total,
      flops: countFlops(fold.model, measure.inputShape ? { inputShape: measure.inputShape } : {}).total,
      metrics,
      seconds: (performance.now() - t) / 1000,
    };
    if (fold.model !== model) disposeModel(model);
    return { model: fold.model, report };
  } catch (e) {
    if (fold.model !== model) disposeModel(fold.model);
    throw e;
  }
}
