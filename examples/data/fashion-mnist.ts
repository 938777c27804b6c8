import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';

/** Where Debian's `dataset-fashion-mnist` package installs the four gzipped IDX files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** The ten Fashion-MNIST classes, in label order (label `k` is `FASHION_MNIST_CLASSES[k]`). */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

/** Examples in each split: the first 55,000 training images, the last 5,000, and t10k. */
export const FASHION_MNIST_SPLITS = { train: 55_000, validation: 5_000, test: 10_000 } as const;

const SIDE = 28;
const PIXELS = SIDE * SIDE;
const CLASSES = 10;
const FILES = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
} as const;

/**
 * Options of {@link loadFashionMnist}. Each `*Size` takes the first examples of its split, so a
 * smaller size is always a prefix of the full split (quick runs see the same examples first).
 *
 * @example
 * ```ts
 * const options: LoadFashionMnistOptions = { trainSize: 2000, validationSize: 500, testSize: 1000 };
 * ```
 */
export interface LoadFashionMnistOptions {
  /** Directory holding the four `.gz` IDX files. Default: {@link FASHION_MNIST_DIR}. */
  dir?: string;
  /** Training examples: the first ones of the 55,000 (training images 0..54,999). Default: 55000. */
  trainSize?: number;
  /** Validation examples: the first ones of the last 5,000 training images (55,000..59,999). Default: 5000. */
  validationSize?: number;
  /** Test examples: the first ones of the 10,000 t10k images. Default: 10000. */
  testSize?: number;
}

/**
 * One split as tensors. The caller owns (and disposes) both.
 *
 * @example
 * ```ts
 * const { x, y } = data.validation;
 * console.log(x.shape, y.shape); // [5000, 28, 28, 1] [5000, 10]
 * ```
 */
export interface FashionMnistSplit {
  /** `[n, 28, 28, 1]` float32, pixel values / 255 (in [0, 1]). */
  x: tf.Tensor4D;
  /** `[n, 10]` float32, one-hot labels. */
  y: tf.Tensor2D;
}

/**
 * The three splits of {@link loadFashionMnist}. Dispose them with `disposeFashionMnist(data)`.
 *
 * @example
 * ```ts
 * const { train, validation, test } = loadFashionMnist();
 * ```
 */
export interface FashionMnistData {
  /** The first 55,000 training images (or the first `trainSize`). */
  train: FashionMnistSplit;
  /** The last 5,000 training images (or the first `validationSize` of them). */
  validation: FashionMnistSplit;
  /** The t10k images (or the first `testSize`). */
  test: FashionMnistSplit;
}

/**
 * A parsed IDX file: its dimensions and its unsigned-byte payload.
 *
 * @example
 * ```ts
 * const { dims, data } = readIdx('/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz', 1);
 * console.log(dims); // [10000]
 * ```
 */
export interface IdxFile {
  /** Size of each dimension, from the header. */
  dims: number[];
  /** The values, row-major, one byte each (a view into the decompressed file). */
  data: Uint8Array;
}

/**
 * Reads a gzipped (or plain) IDX file of unsigned bytes with `rank` dimensions, checking the magic
 * number and that the payload length matches the header. Throws an Error naming the file when it
 * is not such a file.
 *
 * @example
 * ```ts
 * const images = readIdx('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz', 3);
 * console.log(images.dims); // [10000, 28, 28]
 * ```
 */
export function readIdx(file: string, rank: number): IdxFile {
  const raw = fs.readFileSync(file);
  let bytes: Buffer;
  try {
    bytes = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
  } catch (e) {
    throw new Error(`readIdx: ${file} is not a valid gzip file (${(e as Error).message}); reinstall it with \`sudo apt-get install --reinstall -y dataset-fashion-mnist\`.`);
  }
  // IDX magic number: two zero bytes, the type code 0x08 (unsigned byte), the number of dimensions.
  const expectedMagic = 0x00000800 + rank;
  if (bytes.length < 4 + 4 * rank) {
    throw new Error(`readIdx: ${file} holds ${bytes.length} bytes, too few for an IDX header of ${rank} dimension(s); the file is truncated or not IDX.`);
  }
  const magic = bytes.readUInt32BE(0);
  if (magic !== expectedMagic) {
    throw new Error(
      `readIdx: ${file} starts with magic number 0x${magic.toString(16).padStart(8, '0')}, expected ` +
        `0x${expectedMagic.toString(16).padStart(8, '0')} (unsigned bytes, ${rank} dimension(s)); it is not the IDX file expected here.`,
    );
  }
  const dims = Array.from({ length: rank }, (_, i) => bytes.readUInt32BE(4 + 4 * i));
  const offset = 4 + 4 * rank;
  const count = dims.reduce((a, b) => a * b, 1);
  if (bytes.length - offset !== count) {
    throw new Error(`readIdx: ${file} declares dimensions [${dims.join(', ')}] (${count} values) but holds ${bytes.length - offset}; the file is truncated or corrupt.`);
  }
  return { dims, data: new Uint8Array(bytes.buffer, bytes.byteOffset + offset, count) };
}

function checkSize(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new Error(`loadFashionMnist: ${name} must be an integer in [0, ${max}]; got ${String(value)}.`);
  }
}

/** Images and labels of one IDX pair, checked against each other. */
function readPair(dir: string, imagesFile: string, labelsFile: string): { images: Uint8Array; labels: Uint8Array; count: number } {
  const images = readIdx(path.join(dir, imagesFile), 3);
  const labels = readIdx(path.join(dir, labelsFile), 1);
  if (images.dims[1] !== SIDE || images.dims[2] !== SIDE) {
    throw new Error(`loadFashionMnist: ${imagesFile} holds ${images.dims[1]}x${images.dims[2]} images; Fashion-MNIST images are ${SIDE}x${SIDE}.`);
  }
  if (images.dims[0] !== labels.dims[0]) {
    throw new Error(`loadFashionMnist: ${imagesFile} holds ${images.dims[0]} images but ${labelsFile} holds ${labels.dims[0]} labels.`);
  }
  const bad = labels.data.findIndex((l) => l >= CLASSES);
  if (bad >= 0) throw new Error(`loadFashionMnist: ${labelsFile} has label ${labels.data[bad]} at index ${bad}; labels must be 0..9.`);
  return { images: images.data, labels: labels.data, count: images.dims[0] };
}

/** Examples `start .. start+n-1` of a pair as tensors. */
function toSplit(pair: { images: Uint8Array; labels: Uint8Array }, start: number, n: number): FashionMnistSplit {
  const x = new Float32Array(n * PIXELS);
  const y = new Float32Array(n * CLASSES);
  for (let i = 0; i < n; i++) {
    const src = (start + i) * PIXELS;
    for (let p = 0; p < PIXELS; p++) x[i * PIXELS + p] = pair.images[src + p] / 255;
    y[i * CLASSES + pair.labels[start + i]] = 1;
  }
  return { x: tf.tensor4d(x, [n, SIDE, SIDE, 1]), y: tf.tensor2d(y, [n, CLASSES]) };
}

/**
 * Loads Fashion-MNIST (Xiao et al. 2017) from Debian's `dataset-fashion-mnist` package and splits
 * it the standard way, without shuffling: train = the first 55,000 training images, validation =
 * the last 5,000, test = the 10,000 t10k images. Pixels are divided by 255 (float32
 * `[n, 28, 28, 1]`), labels are one-hot (`[n, 10]`). The same options always give the same
 * tensors. Node only (reads files).
 *
 * @throws Error when the directory is missing (with the command that installs the package) or a
 *   file is not the expected IDX file.
 *
 * @example
 * ```ts
 * const data = loadFashionMnist({ trainSize: 2000, validationSize: 512, testSize: 1000 });
 * console.log(data.train.x.shape, data.validation.y.shape); // [2000, 28, 28, 1] [512, 10]
 * disposeFashionMnist(data);
 * ```
 */
export function loadFashionMnist(options: LoadFashionMnistOptions = {}): FashionMnistData {
  const {
    dir = FASHION_MNIST_DIR,
    trainSize = FASHION_MNIST_SPLITS.train,
    validationSize = FASHION_MNIST_SPLITS.validation,
    testSize = FASHION_MNIST_SPLITS.test,
  } = options;
  checkSize('trainSize', trainSize, FASHION_MNIST_SPLITS.train);
  checkSize('validationSize', validationSize, FASHION_MNIST_SPLITS.validation);
  checkSize('testSize', testSize, FASHION_MNIST_SPLITS.test);
  if (!fs.existsSync(dir)) {
    throw new Error(
      `loadFashionMnist: ${dir} does not exist. Fashion-MNIST comes from Debian's dataset-fashion-mnist package: ` +
        'run `sudo apt-get install -y dataset-fashion-mnist` (or pass `dir` pointing at the four .gz IDX files).',
    );
  }
  const missing = Object.values(FILES).filter((f) => !fs.existsSync(path.join(dir, f)));
  if (missing.length > 0) {
    throw new Error(
      `loadFashionMnist: ${dir} lacks ${missing.join(', ')}. Run \`sudo apt-get install --reinstall -y dataset-fashion-mnist\`.`,
    );
  }
  const trainPair = readPair(dir, FILES.trainImages, FILES.trainLabels);
  const testPair = readPair(dir, FILES.testImages, FILES.testLabels);
  const trainTotal = FASHION_MNIST_SPLITS.train + FASHION_MNIST_SPLITS.validation;
  if (trainPair.count !== trainTotal || testPair.count !== FASHION_MNIST_SPLITS.test) {
    throw new Error(
      `loadFashionMnist: expected ${trainTotal} training and ${FASHION_MNIST_SPLITS.test} test images, found ${trainPair.count} and ${testPair.count}.`,
    );
  }
  const train = toSplit(trainPair, 0, trainSize);
  const validation = toSplit(trainPair, FASHION_MNIST_SPLITS.train, validationSize);
  const test = toSplit(testPair, 0, testSize);
  return { train, validation, test };
}

/**
 * Disposes the six tensors of {@link loadFashionMnist}'s result.
 *
 * @example
 * ```ts
 * const data = loadFashionMnist({ trainSize: 100 });
 * try { ... } finally { disposeFashionMnist(data); }
 * ```
 */
export function disposeFashionMnist(data: FashionMnistData): void {
  tf.dispose([data.train.x, data.train.y, data.validation.x, data.validation.y, data.test.x, data.test.y]);
}
