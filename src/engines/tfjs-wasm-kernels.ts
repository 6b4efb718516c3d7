// Kernels fedbench adds to tfjs's wasm backend so that training works, and works fast, there:
// - Conv2DBackpropFilter is missing from tfjs-backend-wasm 4.x (CNN training fails with "not registered").
//   The filter gradient is itself a convolution: with the batch and channel axes of x swapped, x ⊛ dy
//   (dy as the filter, dilated by the forward stride) gives dW. It runs on the backend's own XNNPACK Conv2D.
// - BatchMatMul / _FusedMatMul with transposeA/transposeB run at 1–4 GFLOP/s on wasm against ~40 for a plain
//   product: the operands are transposed first (a copy, O(n²)) and the plain kernel does the O(n³) work.
// - BatchMatMul over a batch of large matrices runs several times slower than the same products one by one
//   (measured here: 4 × 256·64·256 takes 17 ms batched, 3.2 ms split): batches of matrices with
//   M·K·N ≥ 2^19 are split into one plain product per matrix and concatenated. Below that the batched
//   kernel wins (128 × 32·16·32: 2.6 ms batched, far more split), so small products are left alone.
// - Conv2DBackpropInput exists but runs a direct loop ~10× slower than Conv2D: the input gradient is the
//   convolution of dy (zeros inserted between rows/columns for a stride) with the flipped, transposed filter.
// Each replacement composes the backend's own kernel functions on its own tensor data; intermediates are
// freed with backend.disposeData. Gradients against the 'cpu' backend are checked in test/engines.
import type { Tf } from './types.js';

interface TensorInfo {
  dataId: object;
  shape: number[];
  dtype: string;
}
interface WasmBackend {
  disposeData(dataId: object): boolean;
}
type KernelFunc = (args: {
  inputs: Record<string, TensorInfo | undefined>;
  backend: WasmBackend;
  attrs: Record<string, unknown>;
}) => TensorInfo;

/** Names of the kernels replaced or added, for records and `fedbench info`. */
export const WASM_TRAINING_KERNELS = [
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput (as a convolution)',
  'BatchMatMul (transposed operands, one product per matrix)',
  '_FusedMatMul (transposed operands)',
] as const;

// Marks our kernel functions: the registry is global to tfjs-core, so install once however often asked.
const OURS = Symbol.for('fedbench.wasmTrainingKernel');

function kernel(tf: Tf, name: string): KernelFunc {
  const k = tf.getKernel(name, 'wasm');
  if (!k) throw new Error(`tfjs wasm backend has no '${name}' kernel`);
  return k.kernelFunc as unknown as KernelFunc;
}

/** The wasm backend's own kernels that ours are composed of, resolved before anything is replaced. */
interface Stock {
  tf: Tf;
  transpose: KernelFunc;
  conv2d: KernelFunc;
  slice: KernelFunc;
  reshape: KernelFunc;
  padV2: KernelFunc;
  concat: KernelFunc;
  reverse: KernelFunc;
}

/** Installs the kernels (once per process); call after `setBackend('wasm')` and `ready()`. */
export function installWasmTrainingKernels(tf: Tf): void {
  if ((tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc as unknown as Record<symbol, unknown> | undefined)?.[OURS])
    return;
  const stock: Stock = {
    tf,
    transpose: kernel(tf, 'Transpose'),
    conv2d: kernel(tf, 'Conv2D'),
    slice: kernel(tf, 'Slice'),
    reshape: kernel(tf, 'Reshape'),
    padV2: kernel(tf, 'PadV2'),
    concat: kernel(tf, 'Concat'),
    reverse: kernel(tf, 'Reverse'),
  };
  // Resolve the originals before replacing anything.
  const batchMatMul = plainProduct(stock, 'BatchMatMul');
  const fusedMatMul = plainProduct(stock, '_FusedMatMul');
  replace(tf, 'BatchMatMul', batchMatMul);
  replace(tf, '_FusedMatMul', fusedMatMul);
  if (!tf.getKernel('Conv2DBackpropFilter', 'wasm')) replace(tf, 'Conv2DBackpropFilter', conv2DBackpropFilter(stock));
  replace(tf, 'Conv2DBackpropInput', conv2DBackpropInput(stock));
}

/** Swaps the last two axes (a copy in the backend's memory). */
function swapLast(stock: Stock, x: TensorInfo, backend: WasmBackend): TensorInfo {
  const r = x.shape.length;
  const perm = [...Array(r).keys()];
  [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
  return stock.transpose({ inputs: { x }, backend, attrs: { perm } });
}

const size = (shape: readonly number[]) => shape.reduce((x, y) => x * y, 1);
/** Below this M·K·N a batch of products is left to the batched kernel (see the header). */
const SPLIT_MIN_MKN = 2 ** 19;

/**
 * a [...batchA, M, K] × b [...batchB, K, N], no transposes: one plain product per matrix of the
 * (broadcast) batch, concatenated. Falls back to the original kernel for one matrix or small ones.
 */
function perMatrix(
  stock: Stock,
  original: KernelFunc,
  a: TensorInfo,
  b: TensorInfo,
  backend: WasmBackend,
  attrs: Record<string, unknown>,
): TensorInfo {
  const [M, K] = a.shape.slice(-2) as [number, number];
  const N = b.shape.at(-1)!;
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const [ba, bb] = [size(batchA), size(batchB)];
  const batch = Math.max(ba, bb);
  if (batch <= 1 || M * K * N < SPLIT_MIN_MKN || (ba !== bb && ba !== 1 && bb !== 1))
    return original({ inputs: { a, b }, backend, attrs });
  const outBatch = stock.tf.backend_util.assertAndGetBroadcastShape(batchA, batchB);
  const temps: TensorInfo[] = [];
  const keep = <T extends TensorInfo>(x: T): T => {
    temps.push(x);
    return x;
  };
  try {
    const a3 = keep(stock.reshape({ inputs: { x: a }, backend, attrs: { shape: [ba, M, K] } }));
    const b3 = keep(stock.reshape({ inputs: { x: b }, backend, attrs: { shape: [bb, K, N] } }));
    const parts: TensorInfo[] = [];
    for (let i = 0; i < batch; i++) {
      const ai = keep(
        stock.slice({ inputs: { x: a3 }, backend, attrs: { begin: [ba === 1 ? 0 : i, 0, 0], size: [1, M, K] } }),
      );
      const bi = keep(
        stock.slice({ inputs: { x: b3 }, backend, attrs: { begin: [bb === 1 ? 0 : i, 0, 0], size: [1, K, N] } }),
      );
      parts.push(
        keep(
          original({ inputs: { a: ai, b: bi }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } }),
        ),
      );
    }
    const joined = keep(
      stock.concat({ inputs: parts as unknown as Record<string, TensorInfo>, backend, attrs: { axis: 0 } }),
    );
    return stock.reshape({ inputs: { x: joined }, backend, attrs: { shape: [...outBatch, M, N] } });
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

/** BatchMatMul or _FusedMatMul with transposed operands transposed first, then a plain product. */
function plainProduct(stock: Stock, name: 'BatchMatMul' | '_FusedMatMul'): KernelFunc {
  const original = kernel(stock.tf, name);
  return ({ inputs, backend, attrs }) => {
    const temps: TensorInfo[] = [];
    const keep = (x: TensorInfo): TensorInfo => {
      temps.push(x);
      return x;
    };
    const a = attrs.transposeA ? keep(swapLast(stock, inputs.a!, backend)) : inputs.a!;
    const b = attrs.transposeB ? keep(swapLast(stock, inputs.b!, backend)) : inputs.b!;
    const plain = { ...attrs, transposeA: false, transposeB: false };
    try {
      // The fused kernel also adds a bias and an activation: only plain BatchMatMul is split per matrix.
      if (name === 'BatchMatMul') return perMatrix(stock, original, a, b, backend, plain);
      return original({ inputs: { ...inputs, a, b }, backend, attrs: plain });
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };
}

/** dW as the convolution of x (batch and channel axes swapped) with dy dilated by the stride. */
function conv2DBackpropFilter(stock: Stock): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const x = inputs.x!;
    const dy = inputs.dy!;
    const { strides, pad, dimRoundingMode, filterShape } = attrs as {
      strides: number | [number, number];
      pad: unknown;
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
      filterShape: [number, number, number, number];
      dataFormat?: string;
    };
    if (attrs.dataFormat && attrs.dataFormat !== 'NHWC')
      throw new Error(`Conv2DBackpropFilter on wasm: only NHWC is implemented, got ${String(attrs.dataFormat)}`);
    const info = stock.tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      strides,
      1,
      pad as 'same',
      dimRoundingMode,
    );
    const [R, S] = [info.filterHeight, info.filterWidth];
    const [sh, sw] = [info.strideHeight, info.strideWidth];
    const [H, W] = [x.shape[1]!, x.shape[2]!];
    const [OH, OW] = [dy.shape[1]!, dy.shape[2]!];
    const { top, left } = info.padInfo;
    // Padding after the input so that the output of the swapped convolution is exactly R × S.
    let bottom = R + (OH - 1) * sh - H - top;
    let right = S + (OW - 1) * sw - W - left;
    const temps: TensorInfo[] = [];
    const keep = (t: TensorInfo): TensorInfo => {
      temps.push(t);
      return t;
    };
    let xin = x;
    // A negative pad means rows of x that no output reads (e.g. 'valid' with a stride that does not divide): crop them.
    if (bottom < 0 || right < 0) {
      const size = [x.shape[0]!, H + Math.min(0, bottom), W + Math.min(0, right), x.shape[3]!];
      xin = keep(stock.slice({ inputs: { x }, backend, attrs: { begin: [0, 0, 0, 0], size } }));
      bottom = Math.max(0, bottom);
      right = Math.max(0, right);
    }
    try {
      const xT = keep(stock.transpose({ inputs: { x: xin }, backend, attrs: { perm: [3, 1, 2, 0] } })); // [C, H, W, N]
      const dyT = keep(stock.transpose({ inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } })); // [OH, OW, N, K]
      const dwT = keep(
        stock.conv2d({
          inputs: { x: xT, filter: dyT },
          backend,
          attrs: {
            strides: [1, 1],
            dilations: [sh, sw],
            pad: [
              [0, 0],
              [top, bottom],
              [left, right],
              [0, 0],
            ],
            dataFormat: 'NHWC',
          },
        }),
      ); // [C, R, S, K]
      if (dwT.shape[1] !== R || dwT.shape[2] !== S)
        throw new Error(`Conv2DBackpropFilter on wasm: internal shape ${dwT.shape} for a ${R}×${S} filter`);
      return stock.transpose({ inputs: { x: dwT }, backend, attrs: { perm: [1, 2, 0, 3] } }); // [R, S, C, K]
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };
}

/** dx as the convolution of dy (zeros between rows and columns for a stride) with the flipped, transposed filter. */
function conv2DBackpropInput(stock: Stock): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const dy = inputs.dy!;
    const filter = inputs.filter!;
    const { strides, pad, dimRoundingMode, inputShape } = attrs as {
      strides: number | [number, number];
      pad: unknown;
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
      inputShape: [number, number, number, number];
    };
    if (attrs.dataFormat && attrs.dataFormat !== 'NHWC')
      throw new Error(`Conv2DBackpropInput on wasm: only NHWC is implemented, got ${String(attrs.dataFormat)}`);
    const info = stock.tf.backend_util.computeConv2DInfo(
      inputShape,
      filter.shape as [number, number, number, number],
      strides,
      1,
      pad as 'same',
      dimRoundingMode,
    );
    const [R, S] = [info.filterHeight, info.filterWidth];
    const [sh, sw] = [info.strideHeight, info.strideWidth];
    const [N, OH, OW, K] = dy.shape as [number, number, number, number];
    const [H, W] = [inputShape[1], inputShape[2]];
    const { top, left } = info.padInfo;
    const temps: TensorInfo[] = [];
    const keep = (t: TensorInfo) => (temps[temps.length] = t);
    try {
      // dy with stride-1 zeros after every row and column: [N, OH·sh, OW·sw, K].
      let up = dy;
      if (sh > 1 || sw > 1) {
        const r6 = keep(stock.reshape({ inputs: { x: dy }, backend, attrs: { shape: [N, OH, 1, OW, 1, K] } }));
        const padded = keep(
          stock.padV2({
            inputs: { x: r6 },
            backend,
            attrs: {
              paddings: [
                [0, 0],
                [0, 0],
                [0, sh - 1],
                [0, 0],
                [0, sw - 1],
                [0, 0],
              ],
              constantValue: 0,
            },
          }),
        );
        up = keep(stock.reshape({ inputs: { x: padded }, backend, attrs: { shape: [N, OH * sh, OW * sw, K] } }));
      }
      const before = [R - 1 - top, S - 1 - left];
      let after = [H + top - OH * sh, W + left - OW * sw];
      // Trailing rows that no output reads (negative padding): crop them.
      if (after[0]! < 0 || after[1]! < 0) {
        up = keep(
          stock.slice({
            inputs: { x: up },
            backend,
            attrs: {
              begin: [0, 0, 0, 0],
              size: [N, OH * sh + Math.min(0, after[0]!), OW * sw + Math.min(0, after[1]!), K],
            },
          }),
        );
        after = after.map((a) => Math.max(0, a));
      }
      const flipped = keep(stock.reverse({ inputs: { x: filter }, backend, attrs: { dims: [0, 1] } }));
      const w = keep(stock.transpose({ inputs: { x: flipped }, backend, attrs: { perm: [0, 1, 3, 2] } })); // [R, S, K, C]
      return stock.conv2d({
        inputs: { x: up, filter: w },
        backend,
        attrs: {
          strides: [1, 1],
          dilations: [1, 1],
          pad: [
            [0, 0],
            [before[0], after[0]],
            [before[1], after[1]],
            [0, 0],
          ],
          dataFormat: 'NHWC',
        },
      });
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };
}

/** Registers ours in place of the stock kernel, keeping the stock setup and dispose functions. */
function replace(tf: Tf, kernelName: string, kernelFunc: KernelFunc): void {
  (kernelFunc as unknown as Record<symbol, unknown>)[OURS] = true;
  const stock = tf.getKernel(kernelName, 'wasm');
  if (stock) tf.unregisterKernel(kernelName, 'wasm');
  // Keep the stock setupFunc: it binds the package's wasm functions (which the original kernelFunc called
  // from ours uses) to a backend's module, and tfjs runs it again whenever a wasm backend is started anew
  // (e.g. by enableWasmThreads); without it they stay bound to the first, disposed, module and abort.
  tf.registerKernel({
    kernelName,
    backendName: 'wasm',
    kernelFunc: kernelFunc as never,
    ...(stock?.setupFunc ? { setupFunc: stock.setupFunc } : {}),
    ...(stock?.disposeFunc ? { disposeFunc: stock.disposeFunc } : {}),
  });
}
