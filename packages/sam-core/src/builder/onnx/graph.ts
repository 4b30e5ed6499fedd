import { SamBuilderError } from "../errors.ts";

/** Element types the builder emits (a deliberately small subset of ONNX's). */
export type ElemType = "float32" | "int64" | "int32" | "bool" | "uint8";

/** A static size, or a symbolic name for a dynamic one. */
export type Dim = number | string;

/** A named tensor in the graph: a graph input, an initializer, or a node output. */
export interface Value {
  readonly name: string;
}

/**
 * Attribute values: `number` is an INT (must be an integer), `number[]` INTS, `string` STRING,
 * `{ f }` FLOAT, `{ fs }` FLOATS. Floats are wrapped so an integral float (alpha = 1.0) stays a float.
 */
export type AttrValue = number | number[] | string | { f: number } | { fs: number[] };

export interface NodeRecord {
  opType: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
}

export interface InitializerRecord {
  name: string;
  elemType: ElemType;
  dims: number[];
  /** Little-endian raw bytes, usually a view on the caller's typed array (not copied). */
  bytes: Uint8Array<ArrayBuffer>;
}

export interface IoRecord {
  name: string;
  elemType: ElemType;
  dims: Dim[];
}

export const MIN_OPSET = 16;
export const MAX_OPSET = 18;

function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function bytesOf(view: ArrayBufferView<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/**
 * Collects inputs, initializers, nodes and outputs of one ONNX graph. Names are unique; constants
 * built through `constF`/`constI64` are shared by value so repeated shape constants cost nothing.
 */
export class GraphBuilder {
  readonly opset: number;
  readonly inputs: IoRecord[] = [];
  readonly outputs: IoRecord[] = [];
  readonly initializers: InitializerRecord[] = [];
  readonly nodes: NodeRecord[] = [];
  private readonly names = new Set<string>();
  private readonly constCache = new Map<string, Value>();
  private readonly aliases = new Map<string, string>();
  private counter = 0;
  private scopeStack: string[] = [];

  constructor(opset: number) {
    if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
      throw new SamBuilderError(`opset must be an integer from ${MIN_OPSET} to ${MAX_OPSET}, got ${opset}`);
    }
    this.opset = opset;
  }

  /** Runs `fn` with node names prefixed by `/scope`, mirroring torch.onnx's module-path names. */
  scope<T>(name: string, fn: () => T): T {
    this.scopeStack.push(name);
    try {
      return fn();
    } finally {
      this.scopeStack.pop();
    }
  }

  private claim(name: string): string {
    if (this.names.has(name)) throw new SamBuilderError(`duplicate tensor name in graph: ${name}`);
    this.names.add(name);
    return name;
  }

  private fresh(base: string): string {
    const prefix = this.scopeStack.length > 0 ? `/${this.scopeStack.join("/")}/` : "/";
    let name: string;
    do name = `${prefix}${base}_${this.counter++}`;
    while (this.names.has(name));
    return name;
  }

  has(name: string): boolean {
    return this.names.has(name);
  }

  input(name: string, elemType: ElemType, dims: Dim[]): Value {
    this.inputs.push({ name: this.claim(name), elemType, dims });
    return { name };
  }

  /**
   * Declares `value` as a graph output called `name`. A node's output is renamed in place (its uses,
   * earlier and later, follow the new name): an Identity node would make onnxruntime copy the whole
   * tensor, since it keeps Identities that produce graph outputs. A graph input, an initializer or a
   * value already output under another name gets an Identity.
   */
  output(value: Value, name: string, elemType: ElemType, dims: Dim[]): void {
    const current = this.resolve(value.name);
    if (current !== name) {
      const producer = this.outputs.some((o) => o.name === current)
        ? undefined
        : this.nodes.find((n) => n.outputs.includes(current));
      if (producer) {
        this.claim(name);
        producer.outputs = producer.outputs.map((o) => (o === current ? name : o));
        for (const n of this.nodes) n.inputs = n.inputs.map((i) => (i === current ? name : i));
        this.aliases.set(current, name);
      } else {
        this.node("Identity", [{ name: current }], {}, { outputNames: [name] });
      }
    }
    this.outputs.push({ name, elemType, dims });
  }

  /** The name a value goes by now (a node output renamed by `output` keeps its old name as an alias). */
  private resolve(name: string): string {
    let n = name;
    for (let next = this.aliases.get(n); next !== undefined; next = this.aliases.get(n)) n = next;
    return n;
  }

  initFloat(name: string, dims: number[], data: Float32Array<ArrayBuffer>): Value {
    if (data.length !== product(dims)) {
      throw new SamBuilderError(`initializer ${name}: ${data.length} values do not fill shape [${dims}]`);
    }
    this.initializers.push({
      name: this.claim(name),
      elemType: "float32",
      dims: [...dims],
      bytes: bytesOf(data),
    });
    return { name };
  }

  initUint8(name: string, dims: number[], data: Uint8Array<ArrayBuffer>): Value {
    if (data.length !== product(dims)) {
      throw new SamBuilderError(`initializer ${name}: ${data.length} values do not fill shape [${dims}]`);
    }
    this.initializers.push({ name: this.claim(name), elemType: "uint8", dims: [...dims], bytes: bytesOf(data) });
    return { name };
  }

  initInt64(name: string, dims: number[], values: readonly number[]): Value {
    if (values.length !== product(dims)) {
      throw new SamBuilderError(`initializer ${name}: ${values.length} values do not fill shape [${dims}]`);
    }
    const data = BigInt64Array.from(values, (v) => BigInt(v));
    this.initializers.push({
      name: this.claim(name),
      elemType: "int64",
      dims: [...dims],
      bytes: bytesOf(data),
    });
    return { name };
  }

  /** A shared float32 constant; `dims` defaults to a 1-D tensor (use `[]` for a scalar). */
  constF(values: number | readonly number[], dims?: number[]): Value {
    const list = typeof values === "number" ? [values] : [...values];
    const shape = dims ?? (typeof values === "number" ? [] : [list.length]);
    const key = `f|${shape.join(",")}|${list.join(",")}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    const v = this.initFloat(this.fresh("const_f"), shape, Float32Array.from(list));
    this.constCache.set(key, v);
    return v;
  }

  /** A shared int64 constant; `dims` defaults to a 1-D tensor (use `[]` for a scalar). */
  constI64(values: number | readonly number[], dims?: number[]): Value {
    const list = typeof values === "number" ? [values] : [...values];
    const shape = dims ?? (typeof values === "number" ? [] : [list.length]);
    const key = `i|${shape.join(",")}|${list.join(",")}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    const v = this.initInt64(this.fresh("const_i"), shape, list);
    this.constCache.set(key, v);
    return v;
  }

  /** Appends a node; an empty-string input (from `null`) marks an omitted optional input. */
  node(
    opType: string,
    inputs: readonly (Value | null)[],
    attrs: Record<string, AttrValue> = {},
    opts: { outputs?: number; outputNames?: string[] } = {},
  ): Value[] {
    for (const [key, v] of Object.entries(attrs)) {
      if (typeof v === "number" && !Number.isInteger(v)) {
        throw new SamBuilderError(`${opType}.${key}: INT attribute got ${v}; wrap floats as { f }`);
      }
    }
    const count = opts.outputNames?.length ?? opts.outputs ?? 1;
    const outputs = opts.outputNames
      ? opts.outputNames.map((n) => this.claim(n))
      : Array.from({ length: count }, () => this.claim(this.fresh(`${opType}_output`)));
    const name = this.fresh(opType);
    this.nodes.push({ opType, name, inputs: inputs.map((v) => (v ? this.resolve(v.name) : "")), outputs, attrs });
    return outputs.map((n) => ({ name: n }));
  }

  /** Single-output convenience over `node`. */
  op(opType: string, inputs: readonly (Value | null)[], attrs: Record<string, AttrValue> = {}): Value {
    return this.node(opType, inputs, attrs)[0]!;
  }

  /** Total bytes held by initializers (what decides whether external data is needed). */
  initializerBytes(): number {
    return this.initializers.reduce((s, t) => s + t.bytes.byteLength, 0);
  }
}
