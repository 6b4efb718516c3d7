// A small helper for writing ONNX graphs node by node: unique value names, weights as initializers.
import type {
  AttributeValue,
  GraphSpec,
  InitializerSpec,
  NodeSpec,
  OnnxDType,
  ValueSpec,
} from '../../engines/onnx-model.js';
import type { HostTensor } from '../types.js';

export class GraphBuilder {
  readonly nodes: NodeSpec[] = [];
  readonly initializers: InitializerSpec[] = [];
  private next = 0;

  constructor(readonly name: string) {}

  private fresh(prefix: string): string {
    return `${prefix}_${this.next++}`;
  }

  /** A float32 weight tensor; `dims` defaults to the tensor's shape. */
  weight(prefix: string, t: HostTensor, dims = t.shape): string {
    const name = this.fresh(prefix);
    this.initializers.push({ name, dtype: 'float32', dims, data: t.data });
    return name;
  }

  floats(values: number[], dims: number[] = [values.length]): string {
    const name = this.fresh('const');
    this.initializers.push({ name, dtype: 'float32', dims, data: Float32Array.from(values) });
    return name;
  }

  ints(values: number[], dims: number[] = [values.length]): string {
    const name = this.fresh('shape');
    this.initializers.push({ name, dtype: 'int64', dims, data: BigInt64Array.from(values.map(BigInt)) });
    return name;
  }

  /** Adds one node and returns its (single) output name. */
  op(op: string, inputs: string[], attributes?: Record<string, AttributeValue>, output?: string): string {
    const out = output ?? this.fresh(op.toLowerCase());
    this.nodes.push({ op, inputs, outputs: [out], ...(attributes ? { attributes } : {}) });
    return out;
  }

  build(inputs: ValueSpec[], outputs: ValueSpec[], opset = 13): GraphSpec {
    return { name: this.name, inputs, outputs, nodes: this.nodes, initializers: this.initializers, opset };
  }
}

export type { OnnxDType };
