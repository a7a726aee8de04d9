//! The load-time rewrite that gives any ONNX graph the `bf16` precision: each linear layer
//! (`MatMul` by a constant float32 weight [K, N], whose result only an `Add` of a constant [N]
//! bias reads) becomes one `ai.pgai:LinearBf16` node ([`super::onnx_linear`]), and its weight
//! a bfloat16 initializer (rounded to nearest even: what the kernels multiply anyway, in half
//! the memory). This is the shape of every linear layer in the BERT graphs Hugging Face's
//! exporters (optimum, `torch.onnx`) and our converter write. A weight that something else
//! reads too keeps its layers float32. Everything else is copied byte for byte.
//!
//! ONNX files are protobuf; the few fields read here are edited on the wire format, so the
//! crate needs neither a protobuf library nor ONNX's schema. Field numbers: onnx.proto3.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// A rewritten model and how many linear layers it now runs in bfloat16.
pub struct Rewritten {
    pub model: Vec<u8>,
    pub layers: usize,
}

/// Rewrites the linear layers of the ONNX model `model` (the bytes of a `.onnx` file). A graph
/// without any, or with control flow (`If`, `Loop`, `Scan`: their bodies may read values this
/// rewrite does not see), or with weights in external files, comes back with `layers == 0`.
pub fn linear_layers_to_bf16(model: &[u8]) -> Result<Rewritten, String> {
    let mut graph = None;
    let mut has_domain = false;
    for f in fields(model) {
        let f = f?;
        match (f.number, &f.value) {
            (MODEL_GRAPH, Value::Bytes(g)) => graph = Some(*g),
            (MODEL_OPSET_IMPORT, Value::Bytes(o)) => {
                has_domain |= string_field(o, OPSET_DOMAIN)?.as_deref() == Some(super::onnx_linear::DOMAIN)
            }
            _ => {}
        }
    }
    let graph = graph.ok_or("the model has no graph")?;
    let Some(new_graph) = rewrite_graph(graph)? else {
        return Ok(Rewritten { model: model.to_vec(), layers: 0 });
    };
    let (graph_bytes, layers) = new_graph;
    let mut out = Vec::with_capacity(model.len() + 64);
    for f in fields(model) {
        let f = f?;
        if f.number == MODEL_GRAPH {
            put_bytes(&mut out, MODEL_GRAPH, &graph_bytes);
        } else {
            out.extend_from_slice(f.raw);
        }
    }
    if !has_domain {
        let mut opset = Vec::new();
        put_bytes(&mut opset, OPSET_DOMAIN, super::onnx_linear::DOMAIN.as_bytes());
        put_varint_field(&mut opset, OPSET_VERSION, 1);
        put_bytes(&mut out, MODEL_OPSET_IMPORT, &opset);
    }
    Ok(Rewritten { model: out, layers })
}

// ModelProto, OperatorSetIdProto, GraphProto, NodeProto, TensorProto, ValueInfoProto fields
const MODEL_GRAPH: u64 = 7;
const MODEL_OPSET_IMPORT: u64 = 8;
const OPSET_DOMAIN: u64 = 1;
const OPSET_VERSION: u64 = 2;
const GRAPH_NODE: u64 = 1;
const GRAPH_INITIALIZER: u64 = 5;
const GRAPH_INPUT: u64 = 11;
const GRAPH_OUTPUT: u64 = 12;
const NODE_INPUT: u64 = 1;
const NODE_OUTPUT: u64 = 2;
const NODE_NAME: u64 = 3;
const NODE_OP_TYPE: u64 = 4;
const NODE_DOMAIN: u64 = 7;
const TENSOR_DIMS: u64 = 1;
const TENSOR_DATA_TYPE: u64 = 2;
const TENSOR_NAME: u64 = 8;
const TENSOR_DATA_LOCATION: u64 = 14;
const TENSOR_FLOAT_DATA: u64 = 4;
const TENSOR_RAW_DATA: u64 = 9;
const VALUE_INFO_NAME: u64 = 1;
const FLOAT: u64 = 1;
const BFLOAT16: u64 = 16;
const EXTERNAL: u64 = 1;

struct Node<'a> {
    inputs: Vec<&'a str>,
    outputs: Vec<&'a str>,
    name: &'a str,
    op_type: &'a str,
    domain: &'a str,
}

impl Node<'_> {
    fn is_standard(&self, op_type: &str) -> bool {
        self.op_type == op_type && (self.domain.is_empty() || self.domain == "ai.onnx")
    }
}

struct Initializer<'a> {
    name: String,
    dims: Vec<i64>,
    data_type: u64,
    external: bool,
    /// float32 values, little-endian: `raw_data` or `float_data`
    data: Cow<'a, [u8]>,
}

fn initializer(t: &[u8]) -> Result<Initializer<'_>, String> {
    let mut i =
        Initializer { name: String::new(), dims: Vec::new(), data_type: 0, external: false, data: Cow::Borrowed(&[]) };
    for f in fields(t) {
        let f = f?;
        match (f.number, f.value) {
            (TENSOR_NAME, Value::Bytes(b)) => i.name = utf8(b)?.to_string(),
            (TENSOR_DIMS, Value::Varint(d)) => i.dims.push(d as i64),
            (TENSOR_DIMS, Value::Bytes(mut packed)) => {
                while !packed.is_empty() {
                    let (d, n) = varint(packed)?;
                    i.dims.push(d as i64);
                    packed = &packed[n..];
                }
            }
            (TENSOR_DATA_TYPE, Value::Varint(t)) => i.data_type = t,
            (TENSOR_RAW_DATA | TENSOR_FLOAT_DATA, Value::Bytes(b)) if i.data.is_empty() => i.data = Cow::Borrowed(b),
            (TENSOR_FLOAT_DATA, Value::Bytes(b)) => i.data.to_mut().extend_from_slice(b),
            (TENSOR_FLOAT_DATA, Value::Fixed(b)) => i.data.to_mut().extend_from_slice(b),
            (TENSOR_DATA_LOCATION, Value::Varint(l)) => i.external |= l == EXTERNAL,
            _ => {}
        }
    }
    Ok(i)
}

/// The rewritten graph and its number of linear layers; `None` when nothing changes.
fn rewrite_graph(graph: &[u8]) -> Result<Option<(Vec<u8>, usize)>, String> {
    let mut nodes = Vec::new();
    let mut shapes: HashMap<String, Vec<i64>> = HashMap::new();
    let mut external = false;
    // graph inputs may override initializers of the same name; graph outputs are read outside
    let mut inputs_and_outputs = HashSet::new();
    for f in fields(graph) {
        let f = f?;
        let Value::Bytes(b) = f.value else { continue };
        match f.number {
            GRAPH_NODE => nodes.push(node(b)?),
            GRAPH_INITIALIZER => {
                let i = initializer(b)?;
                external |= i.external;
                if i.data_type == FLOAT {
                    shapes.insert(i.name, i.dims);
                }
            }
            GRAPH_INPUT | GRAPH_OUTPUT => {
                inputs_and_outputs.insert(string_field(b, VALUE_INFO_NAME)?.unwrap_or_default());
            }
            _ => {}
        }
    }
    if external || nodes.iter().any(|n| ["If", "Loop", "Scan"].iter().any(|op| n.is_standard(op))) {
        return Ok(None);
    }
    let constant = |name: &str| shapes.get(name).filter(|_| !inputs_and_outputs.contains(name));
    let mut producer = HashMap::new();
    let mut readers: HashMap<&str, usize> = HashMap::new();
    for (i, n) in nodes.iter().enumerate() {
        for o in &n.outputs {
            producer.insert(*o, i);
        }
        for x in &n.inputs {
            *readers.entry(*x).or_default() += 1;
        }
    }
    // layers found: (Add node, MatMul node, weight, the LinearBf16 node's bytes)
    let mut layers = Vec::new();
    let mut taken = HashSet::new();
    for (i, add) in nodes.iter().enumerate() {
        if !add.is_standard("Add") || add.inputs.len() != 2 || add.outputs.len() != 1 {
            continue;
        }
        for (product, bias) in [(add.inputs[0], add.inputs[1]), (add.inputs[1], add.inputs[0])] {
            let Some(&m) = producer.get(product) else { continue };
            let matmul = &nodes[m];
            if !matmul.is_standard("MatMul") || matmul.inputs.len() != 2 || taken.contains(&m) {
                continue;
            }
            let (x, w) = (matmul.inputs[0], matmul.inputs[1]);
            let linear = match (constant(w).map(Vec::as_slice), constant(bias).map(Vec::as_slice)) {
                (Some(&[k, n]), Some(&[nb])) => k > 0 && n > 0 && n == nb,
                _ => false,
            };
            if !linear || readers.get(product) != Some(&1) || inputs_and_outputs.contains(product) {
                continue;
            }
            let name = if add.name.is_empty() { matmul.name } else { add.name };
            let mut bytes = Vec::new();
            for input in [x, w, bias] {
                put_bytes(&mut bytes, NODE_INPUT, input.as_bytes());
            }
            put_bytes(&mut bytes, NODE_OUTPUT, add.outputs[0].as_bytes());
            put_bytes(&mut bytes, NODE_NAME, name.as_bytes());
            put_bytes(&mut bytes, NODE_OP_TYPE, b"LinearBf16");
            put_bytes(&mut bytes, NODE_DOMAIN, super::onnx_linear::DOMAIN.as_bytes());
            layers.push((i, m, w, bytes));
            taken.insert(m);
            break;
        }
    }
    // a weight becomes bfloat16 only where every reader is a rewritten layer
    let mut uses: HashMap<&str, usize> = HashMap::new();
    layers.iter().for_each(|l| *uses.entry(l.2).or_default() += 1);
    layers.retain(|l| readers.get(l.2) == uses.get(l.2));
    if layers.is_empty() {
        return Ok(None);
    }
    let weights: HashSet<&str> = layers.iter().map(|l| l.2).collect();
    let removed: HashSet<usize> = layers.iter().map(|l| l.1).collect();
    let count = layers.len();
    // replacement[i]: the bytes to write instead of node i
    let replacement: HashMap<usize, Vec<u8>> = layers.into_iter().map(|(i, _, _, bytes)| (i, bytes)).collect();
    let mut out = Vec::with_capacity(graph.len());
    let mut i = 0;
    for f in fields(graph) {
        let f = f?;
        if let (GRAPH_INITIALIZER, Value::Bytes(t)) = (f.number, &f.value) {
            let t = initializer(t)?;
            if weights.contains(t.name.as_str()) {
                put_bytes(&mut out, GRAPH_INITIALIZER, &to_bf16_tensor(&t)?);
                continue;
            }
        }
        if f.number != GRAPH_NODE {
            out.extend_from_slice(f.raw);
            continue;
        }
        match replacement.get(&i) {
            Some(bytes) => put_bytes(&mut out, GRAPH_NODE, bytes),
            None if removed.contains(&i) => {}
            None => out.extend_from_slice(f.raw),
        }
        i += 1;
    }
    Ok(Some((out, count)))
}

/// A float32 initializer as a bfloat16 one: dims, type, name and data; nothing else.
fn to_bf16_tensor(t: &Initializer) -> Result<Vec<u8>, String> {
    let len: i64 = t.dims.iter().product();
    if t.data.len() as i64 != len * 4 {
        return Err(format!("initializer {:?} has {} bytes of data for its shape {:?}", t.name, t.data.len(), t.dims));
    }
    let mut out = Vec::with_capacity(t.data.len() / 2 + 64);
    let mut dims = Vec::new();
    t.dims.iter().for_each(|&d| put_varint(&mut dims, d as u64));
    put_bytes(&mut out, TENSOR_DIMS, &dims);
    put_varint_field(&mut out, TENSOR_DATA_TYPE, BFLOAT16);
    put_bytes(&mut out, TENSOR_NAME, t.name.as_bytes());
    let data: Vec<u8> = t
        .data
        .chunks_exact(4)
        .flat_map(|b| super::bf16::to_bf16(f32::from_le_bytes([b[0], b[1], b[2], b[3]])).to_le_bytes())
        .collect();
    put_bytes(&mut out, TENSOR_RAW_DATA, &data);
    Ok(out)
}

fn node(b: &[u8]) -> Result<Node<'_>, String> {
    let mut n = Node { inputs: Vec::new(), outputs: Vec::new(), name: "", op_type: "", domain: "" };
    for f in fields(b) {
        let f = f?;
        let Value::Bytes(v) = f.value else { continue };
        match f.number {
            NODE_INPUT => n.inputs.push(utf8(v)?),
            NODE_OUTPUT => n.outputs.push(utf8(v)?),
            NODE_NAME => n.name = utf8(v)?,
            NODE_OP_TYPE => n.op_type = utf8(v)?,
            NODE_DOMAIN => n.domain = utf8(v)?,
            _ => {}
        }
    }
    Ok(n)
}

// ---- the protobuf wire format ----

enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed(&'a [u8]),
}

struct Field<'a> {
    number: u64,
    value: Value<'a>,
    /// the whole field, key included, to copy unchanged
    raw: &'a [u8],
}

/// The fields of one message, in order.
fn fields(mut msg: &[u8]) -> impl Iterator<Item = Result<Field<'_>, String>> {
    std::iter::from_fn(move || {
        if msg.is_empty() {
            return None;
        }
        let start = msg;
        let field = (|| {
            let (key, n) = varint(msg)?;
            let mut rest = &msg[n..];
            let value = match key & 7 {
                0 => {
                    let (v, n) = varint(rest)?;
                    rest = &rest[n..];
                    Value::Varint(v)
                }
                1 | 5 => {
                    let len = if key & 7 == 1 { 8 } else { 4 };
                    let bytes = rest.get(..len).ok_or("truncated fixed-size field")?;
                    rest = &rest[len..];
                    Value::Fixed(bytes)
                }
                2 => {
                    let (len, n) = varint(rest)?;
                    let end = n.checked_add(len as usize).filter(|&e| e <= rest.len()).ok_or("truncated field")?;
                    let bytes = &rest[n..end];
                    rest = &rest[end..];
                    Value::Bytes(bytes)
                }
                t => return Err(format!("unsupported protobuf wire type {t}")),
            };
            let used = start.len() - rest.len();
            msg = rest;
            Ok(Field { number: key >> 3, value, raw: &start[..used] })
        })();
        if field.is_err() {
            msg = &[]; // stop after the first error
        }
        Some(field)
    })
}

fn varint(b: &[u8]) -> Result<(u64, usize), String> {
    let mut v = 0u64;
    for (i, byte) in b.iter().take(10).enumerate() {
        v |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok((v, i + 1));
        }
    }
    Err("truncated or overlong varint".into())
}

fn utf8(b: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(b).map_err(|_| "a name is not UTF-8".to_string())
}

fn string_field(msg: &[u8], number: u64) -> Result<Option<String>, String> {
    for f in fields(msg) {
        let f = f?;
        if let (n, Value::Bytes(b)) = (f.number, f.value) {
            if n == number {
                return Ok(Some(utf8(b)?.to_string()));
            }
        }
    }
    Ok(None)
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_bytes(out: &mut Vec<u8>, number: u64, bytes: &[u8]) {
    put_varint(out, number << 3 | 2);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn put_varint_field(out: &mut Vec<u8>, number: u64, v: u64) {
    put_varint(out, number << 3);
    put_varint(out, v);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node_bytes(op: &str, inputs: &[&str], output: &str) -> Vec<u8> {
        let mut b = Vec::new();
        for i in inputs {
            put_bytes(&mut b, NODE_INPUT, i.as_bytes());
        }
        put_bytes(&mut b, NODE_OUTPUT, output.as_bytes());
        put_bytes(&mut b, NODE_NAME, format!("{op}_{output}").as_bytes());
        put_bytes(&mut b, NODE_OP_TYPE, op.as_bytes());
        b
    }

    /// A float tensor with the values 0.5, 1.5, ... (packed dims and raw_data when `packed`,
    /// else one field per dimension and float_data), or data in an external file.
    fn tensor(name: &str, dims: &[u64], packed: bool, external: bool) -> Vec<u8> {
        let mut b = Vec::new();
        if packed {
            let mut d = Vec::new();
            dims.iter().for_each(|&x| put_varint(&mut d, x));
            put_bytes(&mut b, TENSOR_DIMS, &d);
        } else {
            dims.iter().for_each(|&x| put_varint_field(&mut b, TENSOR_DIMS, x));
        }
        put_varint_field(&mut b, TENSOR_DATA_TYPE, FLOAT);
        put_bytes(&mut b, TENSOR_NAME, name.as_bytes());
        let values: Vec<u8> = (0..dims.iter().product::<u64>()).flat_map(|i| (i as f32 + 0.5).to_le_bytes()).collect();
        if external {
            put_varint_field(&mut b, TENSOR_DATA_LOCATION, EXTERNAL);
        } else if packed {
            put_bytes(&mut b, TENSOR_RAW_DATA, &values);
        } else {
            values.chunks(4).for_each(|v| {
                put_varint(&mut b, TENSOR_FLOAT_DATA << 3 | 5);
                b.extend_from_slice(v);
            });
        }
        b
    }

    /// The messages of field `number` of a model's graph (nodes, initializers).
    fn graph_messages<'a>(m: &'a [u8], number: u64) -> Vec<&'a [u8]> {
        let graph = fields(m).map(Result::unwrap).find(|f| f.number == MODEL_GRAPH).unwrap();
        let Value::Bytes(g) = graph.value else { panic!("graph is not a message") };
        let message = |f: Field<'a>| match f.value {
            Value::Bytes(b) => b,
            _ => panic!("field {number} is not a message"),
        };
        fields(g).map(Result::unwrap).filter(|f| f.number == number).map(message).collect()
    }

    /// (name, is bfloat16, dims, data) of every initializer of a model's graph.
    fn initializers(m: &[u8]) -> Vec<(String, bool, Vec<i64>, Vec<u8>)> {
        let one = |b: &[u8]| {
            let t = initializer(b).unwrap();
            (t.name, t.data_type == BFLOAT16, t.dims, t.data.into_owned())
        };
        graph_messages(m, GRAPH_INITIALIZER).into_iter().map(one).collect()
    }

    fn value_info(name: &str) -> Vec<u8> {
        let mut b = Vec::new();
        put_bytes(&mut b, VALUE_INFO_NAME, name.as_bytes());
        b
    }

    fn model(nodes: &[Vec<u8>], tensors: &[Vec<u8>], inputs: &[&str], outputs: &[&str]) -> Vec<u8> {
        let mut g = Vec::new();
        nodes.iter().for_each(|n| put_bytes(&mut g, GRAPH_NODE, n));
        put_bytes(&mut g, 2, b"graph name");
        tensors.iter().for_each(|t| put_bytes(&mut g, GRAPH_INITIALIZER, t));
        inputs.iter().for_each(|i| put_bytes(&mut g, GRAPH_INPUT, &value_info(i)));
        outputs.iter().for_each(|o| put_bytes(&mut g, GRAPH_OUTPUT, &value_info(o)));
        let mut m = Vec::new();
        put_varint_field(&mut m, 1, 8); // ir_version
        put_bytes(&mut m, MODEL_GRAPH, &g);
        let mut opset = Vec::new();
        put_varint_field(&mut opset, OPSET_VERSION, 17);
        put_bytes(&mut m, MODEL_OPSET_IMPORT, &opset);
        m
    }

    /// (op_type, domain, inputs, outputs) of every node of a model's graph.
    fn ops(m: &[u8]) -> Vec<(String, String, Vec<String>, Vec<String>)> {
        let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let one = |b: &[u8]| {
            let n = node(b).unwrap();
            (n.op_type.to_string(), n.domain.to_string(), own(&n.inputs), own(&n.outputs))
        };
        graph_messages(m, GRAPH_NODE).into_iter().map(one).collect()
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn linear_layers_become_one_operator_each() {
        let m = model(
            &[
                // the bias's shape does not match the weight's: stays
                node_bytes("MatMul", &["x", "w1"], "m1"),
                node_bytes("Add", &["m1", "b1"], "y1"),
                // bias first, as torch.onnx writes it: rewritten
                node_bytes("MatMul", &["y1", "w2"], "m2"),
                node_bytes("Add", &["b2", "m2"], "y2"),
                // the product is read twice: stays
                node_bytes("MatMul", &["y2", "w3"], "m3"),
                node_bytes("Add", &["m3", "b2"], "y3"),
                node_bytes("Relu", &["m3"], "r3"),
                // the weight is a graph input (a caller may override it): stays
                node_bytes("MatMul", &["y3", "w_in"], "m4"),
                node_bytes("Add", &["m4", "b2"], "y4"),
                // the weight is read by another product too: stays (it must stay float32)
                node_bytes("MatMul", &["y4", "w5"], "m5"),
                node_bytes("Add", &["m5", "b2"], "y5"),
                node_bytes("MatMul", &["y5", "w5"], "out"),
            ],
            &[
                tensor("w1", &[4, 3], false, false),
                tensor("b1", &[2], true, false),
                tensor("w2", &[3, 3], true, false),
                tensor("b2", &[3], false, false),
                tensor("w3", &[3, 3], false, false),
                tensor("w_in", &[3, 3], true, false),
                tensor("w5", &[3, 3], true, false),
            ],
            &["x", "w_in"],
            &["out"],
        );
        let r = linear_layers_to_bf16(&m).unwrap();
        assert_eq!(r.layers, 1);
        let got = ops(&r.model);
        assert_eq!(got.len(), 11, "{got:?}");
        assert_eq!(got[2], ("LinearBf16".into(), "ai.pgai".into(), s(&["y1", "w2", "b2"]), s(&["y2"])));
        assert_eq!(got.iter().filter(|o| o.0 == "MatMul").count(), 5);
        // its weight is now bfloat16 (0.5, 1.5, ... are exact in bfloat16), the others untouched
        let before = initializers(&m);
        let after = initializers(&r.model);
        assert_eq!(after.len(), before.len());
        for (b, a) in before.iter().zip(&after) {
            if a.0 == "w2" {
                let want: Vec<u8> =
                    (0..9).flat_map(|i| super::super::bf16::to_bf16(i as f32 + 0.5).to_le_bytes()).collect();
                assert_eq!((a.1, &a.2, &a.3), (true, &b.2, &want));
            } else {
                assert_eq!(a, b);
            }
        }
        // the custom domain is imported once, and the rest is unchanged
        let opsets: Vec<_> = fields(&r.model)
            .map(Result::unwrap)
            .filter(|f| f.number == MODEL_OPSET_IMPORT)
            .map(|f| match f.value {
                Value::Bytes(b) => string_field(b, OPSET_DOMAIN).unwrap(),
                _ => panic!(),
            })
            .collect();
        assert_eq!(opsets, [None, Some("ai.pgai".to_string())]);
        assert!(r.model.windows(10).any(|w| w == b"graph name"));
        // a rewritten model has nothing left to rewrite
        let again = linear_layers_to_bf16(&r.model).unwrap();
        assert_eq!(again.layers, 0);
        assert_eq!(again.model, r.model);
    }

    #[test]
    fn every_matching_layer_is_rewritten_in_place() {
        let layer = |i: usize, x: &str| {
            let (w, b, m, y) = (format!("w{i}"), format!("b{i}"), format!("m{i}"), format!("y{i}"));
            vec![node_bytes("MatMul", &[x, &w], &m), node_bytes("Add", &[&m, &b], &y)]
        };
        let mut nodes = layer(0, "x");
        nodes.extend(layer(1, "y0"));
        nodes.push(node_bytes("Tanh", &["y1"], "out"));
        let tensors: Vec<_> = (0..2)
            .flat_map(|i| {
                [tensor(&format!("w{i}"), &[8, 8], i == 0, false), tensor(&format!("b{i}"), &[8], false, false)]
            })
            .collect();
        let r = linear_layers_to_bf16(&model(&nodes, &tensors, &["x"], &["out"])).unwrap();
        assert_eq!(r.layers, 2);
        let got: Vec<_> = ops(&r.model).into_iter().map(|o| (o.0, o.2, o.3)).collect();
        assert_eq!(
            got,
            [
                ("LinearBf16".into(), s(&["x", "w0", "b0"]), s(&["y0"])),
                ("LinearBf16".into(), s(&["y0", "w1", "b1"]), s(&["y1"])),
                ("Tanh".into(), s(&["y1"]), s(&["out"])),
            ]
        );
    }

    #[test]
    fn control_flow_external_weights_and_plain_graphs_are_left_alone() {
        let linear = [node_bytes("MatMul", &["x", "w"], "m"), node_bytes("Add", &["m", "b"], "y")];
        let tensors = |external| vec![tensor("w", &[2, 2], false, external), tensor("b", &[2], false, false)];
        let with_loop = [linear[0].clone(), linear[1].clone(), node_bytes("Loop", &["n", "c"], "z")];
        for m in [
            model(&with_loop, &tensors(false), &["x"], &["y"]),
            model(&linear, &tensors(true), &["x"], &["y"]),
            model(&[node_bytes("Relu", &["x"], "y")], &[], &["x"], &["y"]),
            // the product is a graph output too
            model(&linear, &tensors(false), &["x"], &["y", "m"]),
        ] {
            let r = linear_layers_to_bf16(&m).unwrap();
            assert_eq!((r.layers, r.model == m), (0, true));
        }
    }

    #[test]
    fn malformed_models_are_errors() {
        let m = model(&[node_bytes("Relu", &["x"], "y")], &[], &["x"], &["y"]);
        for bad in [&m[..m.len() - 3], b"not a graph at all".as_slice(), &[0xff; 12]] {
            assert!(linear_layers_to_bf16(bad).is_err(), "{bad:?}");
        }
        let mut no_graph = Vec::new();
        put_varint_field(&mut no_graph, 1, 8);
        assert_eq!(linear_layers_to_bf16(&no_graph).err().unwrap(), "the model has no graph");
    }
}
