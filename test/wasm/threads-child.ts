// Run by wasm-threads-process.test.ts in a child process: trains a few steps on the threaded wasm
// backend, prints what it saw as JSON, and then just ends: no process.exit(), so the process only
// exits if no pthread worker keeps it alive. argv[2]: 'keep' (backend left as is) or 'remove'.
import * as tf from '@tensorflow/tfjs';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import { enableWasmTraining } from '../../src/wasm';

async function main(): Promise<void> {
  enableWasmTraining({ threads: 2 });
  await tf.setBackend('wasm');
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [10, 10, 2], filters: 6, kernelSize: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.batchNormalization(),
      tf.layers.reLU(),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
  model.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
  const x = tf.randomNormal([16, 10, 10, 2], 0, 1, 'float32', 3);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: 16 }, (_, i) => i % 2), 'int32'), 2);
  const history = await model.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
  const threads = wasm.getThreadsCount();
  tf.dispose([x, y]);
  model.dispose();
  tf.disposeVariables();
  if (process.argv[2] === 'remove') tf.removeBackend('wasm');
  console.log(JSON.stringify({ threads, loss: history.history.loss.map(Number)}));
}

void main();
