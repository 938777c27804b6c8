import * as tf from '@tensorflow/tfjs';

interface TopologyLayer {
  class_name: string;
  config: Record<string, unknown>;
}

/**
 * Saves a model to memory and loads it back: an independent deep copy (also the round-trip test).
 * With `restoreDepthMultiplier`, SeparableConv2D layers get back the `depth_multiplier` that
 * TF.js 4.x's getConfig() drops (needed to copy such models at all).
 */
export async function cloneModel(model: tf.LayersModel, { restoreDepthMultiplier = false } = {}): Promise<tf.LayersModel> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const saved = artifacts as tf.io.ModelArtifacts;
  if (restoreDepthMultiplier) {
    const topology = saved.modelTopology as { config: { layers: TopologyLayer[] } };
    for (const entry of topology.config.layers) {
      if (entry.class_name !== 'SeparableConv2D') continue;
      const live = model.getLayer(entry.config.name as string) as unknown as { depthMultiplier: number };
      entry.config.depth_multiplier = live.depthMultiplier;
    }
  }
  return tf.loadLayersModel(tf.io.fromMemory(saved));
}
