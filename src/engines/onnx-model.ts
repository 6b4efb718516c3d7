// Writes small ONNX models from a plain description, with the protobuf classes of the `onnx-proto` package.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export type OnnxDType = 'float32' | 'float16' | 'int64';
const ELEM_TYPE: Record<OnnxDType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  int64: onnx.TensorProto.DataType.INT64,
};

export type AttributeValue = { i: number } | { f: number } | { ints: number[] } | { s: string };

export interface ValueSpec {
  name: string;
  dtype: OnnxDType;
  /** Numbers are fixed sizes, strings are named dynamic dimensions. */
  shape: Array<number | string>;
}

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, AttributeValue>;
}

export interface InitializerSpec {
  name: string;
  dtype: OnnxDType;
  dims: number[];
  data: Float32Array | Uint16Array | BigInt64Array;
}

export interface GraphSpec {
  name: string;
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  nodes: NodeSpec[];
  initializers?: InitializerSpec[];
  /** Default opset 13: ReduceSum takes axes as an input and Softmax works on one axis. */
  opset?: number;
}

function valueInfo(v: ValueSpec) {
  return onnx.ValueInfoProto.create({
    name: v.name,
    type: {
      tensorType: {
        elemType: ELEM_TYPE[v.dtype],
        shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
}

function attribute(name: string, v: AttributeValue) {
  const A = onnx.AttributeProto.AttributeType;
  if ('i' in v) return onnx.AttributeProto.create({ name, type: A.INT, i: v.i });
  if ('f' in v) return onnx.AttributeProto.create({ name, type: A.FLOAT, f: v.f });
  if ('ints' in v) return onnx.AttributeProto.create({ name, type: A.INTS, ints: v.ints });
  return onnx.AttributeProto.create({ name, type: A.STRING, s: new TextEncoder().encode(v.s) });
}

export function buildOnnxModel(spec: GraphSpec): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'fedbench',
    opsetImport: [{ domain: '', version: spec.opset ?? 13 }],
    graph: {
      name: spec.name,
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
      node: spec.nodes.map((n, i) =>
        onnx.NodeProto.create({
          name: `${n.op}_${i}`,
          opType: n.op,
          input: n.inputs,
          output: n.outputs,
          attribute: Object.entries(n.attributes ?? {}).map(([k, v]) => attribute(k, v)),
        }),
      ),
      initializer: (spec.initializers ?? []).map((t) =>
        onnx.TensorProto.create({
          name: t.name,
          dataType: ELEM_TYPE[t.dtype],
          dims: t.dims,
          rawData: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
        }),
      ),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
