/**
 * Conv2DBackpropInput on wasm: tfjs-prune's XNNPACK formulation (the default of
 * enableWasmTraining) against the wasm backend's own kernel, over batch-32 shapes with 1x1, 3x3
 * and 5x5 filters, strides 1 and 2, 'same' padding. Median of REPEATS calls after a warm-up.
 *
 *   npm run bench:conv-input            (= tsx bench/conv2d-backprop-input.ts)
 */
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { enableWasmTraining } from '../src/wasm';

const REPEATS = 9;
const LAYERS: Array<[number, number, number]> = [
  // [height = width, input channels, output channels]
  [28, 1, 16],
  [32, 3, 16],
  [56, 16, 16],
  [14, 16, 32],
  [16, 32, 32],
  [8, 64, 64],
  [8, 128, 128],
  [4, 256, 256],
];

function medianMs(f: () => tf.Tensor): number {
  f().dispose();
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const start = performance.now();
    const out = f();
    out.dataSync();
    times.push(performance.now() - start);
    out.dispose();
  }
  return times.sort((a, b) => a - b)[Math.floor(REPEATS / 2)];
}

async function main(): Promise<void> {
  enableWasmTraining();
  await tf.setBackend('wasm');
  console.log(`${os.cpus().length} cores, Node ${process.version}, @tensorflow/tfjs ${tf.version.tfjs}, load average ${os.loadavg()[0].toFixed(2)}`);
  console.log('\n| x (batch 32) | filter | stride | wasm own (ms) | tfjs-prune (ms) | speed-up |\n|---|---|---|---|---|---|');
  let slower = 0;
  let total = 0;
  for (const [size, inC, outC] of LAYERS) {
    for (const k of [1, 3, 5]) {
      for (const stride of [1, 2]) {
        const xShape: [number, number, number, number] = [32, size, size, inC];
        const filter = tf.randomNormal([k, k, inC, outC], 0, 1, 'float32', 1);
        const outShape = tf.backend_util.computeConv2DInfo(xShape, [k, k, inC, outC], stride, 1, 'same').outShape;
        const dy = tf.randomNormal(outShape, 0, 1, 'float32', 2);
        const attrs = { inputShape: xShape, strides: stride, pad: 'same', dataFormat: 'NHWC' };
        const run = () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, attrs) as tf.Tensor;
        enableWasmTraining({ fastConv2DBackpropInput: false });
        const own = medianMs(run);
        enableWasmTraining({ fastConv2DBackpropInput: true });
        const ours = medianMs(run);
        tf.dispose([filter, dy]);
        total++;
        if (ours > own) slower++;
        console.log(`| ${size}x${size}x${inC} | ${k}x${k}x${inC}x${outC} | ${stride} | ${own.toFixed(2)} | ${ours.toFixed(2)} | ${(own / ours).toFixed(1)}x |`);
      }
    }
  }
  console.log(`\ntfjs-prune's kernel is slower in ${slower} of ${total} shapes.`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
