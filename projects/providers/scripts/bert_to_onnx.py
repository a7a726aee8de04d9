#!/usr/bin/env python3
"""Writes an ONNX graph for a BERT-family sentence-transformers model, from its safetensors.

    python3 bert_to_onnx.py MODEL_DIR    # writes MODEL_DIR/onnx/model.onnx

Needs only `numpy` and `onnx` (no torch): the graph is BertModel's forward pass written with
standard ONNX operators (opset 17), the weights taken from MODEL_DIR/model.safetensors as they
are. Inputs `input_ids`, `attention_mask`, `token_type_ids` (int64, [batch, sequence]); output
`last_hidden_state` (float32, [batch, sequence, hidden]): the same interface as the
`onnx/model.onnx` that Hugging Face model repositories ship, so the local engine treats both
alike. Pooling and normalisation stay outside the graph (the engine does them).

Every linear layer is `Add(MatMul(x, W), b)` with constant W [in, out] and b [out], as in
Hugging Face's exports: the engine's `bf16` precision finds them when the model loads
(projects/providers/src/local/onnx_rewrite.rs).

The graph follows transformers' eager BertModel: embeddings (word + token type + absolute
position) and LayerNorm, then per layer: self-attention with the additive mask
(1 - mask) * float32.min, softmax, output projection + residual + LayerNorm, feed-forward with
the configured activation + residual + LayerNorm. `projects/providers/tests/local.rs` checks the
result against sentence-transformers' vectors (cosine >= 0.9999 on 50 texts).
"""

import json
import math
import os
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
# ONNX Runtime 1.17+ reads IR version 9; keep it low so older runtimes load the file too.
IR_VERSION = 8

DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64}


def read_safetensors(path):
    """name -> float32 numpy array (safetensors is an 8-byte header length, a JSON header, the data)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise SystemExit(f"{path}: not a safetensors file (too short)")
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] == "BF16":
            raw = np.frombuffer(data, np.uint16, count=int(np.prod(info["shape"])), offset=base + info["data_offsets"][0])
            arr = (raw.astype(np.uint32) << 16).view(np.float32)
        elif info["dtype"] in DTYPES:
            start, end = info["data_offsets"]
            arr = np.frombuffer(data[base + start : base + end], DTYPES[info["dtype"]])
        else:
            continue
        out[name] = arr.reshape(info["shape"])
    return out


def weights_for(tensors):
    """Strips a `bert.` (or `model.`) prefix so names read `embeddings.word_embeddings.weight`."""
    for prefix in ("", "bert.", "model."):
        if prefix + "embeddings.word_embeddings.weight" in tensors:
            return {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
    raise SystemExit("model.safetensors has no embeddings.word_embeddings.weight: not a BERT model")


class Graph:
    def __init__(self):
        self.nodes, self.inits, self.n = [], [], 0

    def name(self, hint):
        self.n += 1
        return f"{hint}_{self.n}"

    def const(self, hint, array):
        name = self.name(hint)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def op(self, op_type, inputs, hint=None, **attrs):
        out = self.name(hint or op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=out, **attrs))
        return out


def convert(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    if cfg.get("model_type") not in ("bert", None):
        raise SystemExit(f"model_type {cfg.get('model_type')!r} is not supported (BERT only)")
    if cfg.get("position_embedding_type", "absolute") != "absolute":
        raise SystemExit("only absolute position embeddings are supported")
    hidden, heads = cfg["hidden_size"], cfg["num_attention_heads"]
    head_dim = hidden // heads
    eps = float(cfg.get("layer_norm_eps", 1e-12))
    act = cfg.get("hidden_act", "gelu")
    w = weights_for(read_safetensors(os.path.join(model_dir, "model.safetensors")))
    f32 = lambda name: w[name].astype(np.float32)

    g = Graph()
    ids, mask, types = "input_ids", "attention_mask", "token_type_ids"

    def linear(x, prefix):
        # y = x W^T + b; the transposed weight is stored so MatMul needs no transpose
        wt, b = g.const(prefix + ".wt", f32(prefix + ".weight").T), g.const(prefix + ".b", f32(prefix + ".bias"))
        return g.op("Add", [g.op("MatMul", [x, wt]), b])

    def layer_norm(x, prefix):
        gamma, beta = g.const(prefix + ".g", f32(prefix + ".weight")), g.const(prefix + ".b", f32(prefix + ".bias"))
        return g.op("LayerNormalization", [x, gamma, beta], axis=-1, epsilon=eps)

    def activation(x):
        if act == "gelu":  # exact: x * 0.5 * (1 + erf(x / sqrt(2))), the pattern ONNX Runtime fuses
            e = g.op("Erf", [g.op("Div", [x, g.const("sqrt2", np.array(math.sqrt(2.0), np.float32))])])
            m = g.op("Mul", [x, g.op("Add", [e, g.const("one", np.array(1.0, np.float32))])])
            return g.op("Mul", [m, g.const("half", np.array(0.5, np.float32))])
        if act in ("gelu_new", "gelu_pytorch_tanh", "gelu_fast"):
            c = np.float32(math.sqrt(2.0 / math.pi))
            x3 = g.op("Mul", [g.op("Mul", [x, x]), x])
            inner = g.op("Add", [x, g.op("Mul", [x3, g.const("k", np.array(0.044715, np.float32))])])
            t = g.op("Tanh", [g.op("Mul", [inner, g.const("c", np.array(c, np.float32))])])
            m = g.op("Mul", [x, g.op("Add", [t, g.const("one", np.array(1.0, np.float32))])])
            return g.op("Mul", [m, g.const("half", np.array(0.5, np.float32))])
        if act == "relu":
            return g.op("Relu", [x])
        raise SystemExit(f"hidden_act {act!r} is not supported")

    # embeddings
    word = g.op("Gather", [g.const("word_emb", f32("embeddings.word_embeddings.weight")), ids])
    tt = g.op("Gather", [g.const("type_emb", f32("embeddings.token_type_embeddings.weight")), types])
    # positions 0..sequence: the first rows of the position table ([sequence] from the input's shape)
    seq_len = g.op("Shape", [ids], start=1, end=2)
    pos_table = g.const("pos_emb", f32("embeddings.position_embeddings.weight"))
    zero = g.const("i0", np.array([0], np.int64))
    pos = g.op("Slice", [pos_table, zero, seq_len, zero])
    x = layer_norm(g.op("Add", [g.op("Add", [word, tt]), pos]), "embeddings.LayerNorm")

    # additive attention mask, [batch, 1, 1, sequence]: 0 where attended, float32.min where padded
    m = g.op("Unsqueeze", [g.op("Cast", [mask], to=TensorProto.FLOAT), g.const("axes12", np.array([1, 2], np.int64))])
    inv = g.op("Sub", [g.const("one", np.array(1.0, np.float32)), m])
    bias = g.op("Mul", [inv, g.const("fmin", np.array(np.finfo(np.float32).min, np.float32))])

    split_shape = g.const("split", np.array([0, 0, heads, head_dim], np.int64))
    merge_shape = g.const("merge", np.array([0, 0, hidden], np.int64))
    scale = g.const("scale", np.array(math.sqrt(head_dim), np.float32))
    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        q = g.op("Transpose", [g.op("Reshape", [linear(x, p + "attention.self.query"), split_shape])], perm=[0, 2, 1, 3])
        k = g.op("Transpose", [g.op("Reshape", [linear(x, p + "attention.self.key"), split_shape])], perm=[0, 2, 3, 1])
        v = g.op("Transpose", [g.op("Reshape", [linear(x, p + "attention.self.value"), split_shape])], perm=[0, 2, 1, 3])
        scores = g.op("Add", [g.op("Div", [g.op("MatMul", [q, k]), scale]), bias])
        probs = g.op("Softmax", [scores], axis=-1)
        ctx = g.op("Reshape", [g.op("Transpose", [g.op("MatMul", [probs, v])], perm=[0, 2, 1, 3]), merge_shape])
        attn = layer_norm(g.op("Add", [linear(ctx, p + "attention.output.dense"), x]), p + "attention.output.LayerNorm")
        inter = activation(linear(attn, p + "intermediate.dense"))
        x = layer_norm(g.op("Add", [linear(inter, p + "output.dense"), attn]), p + "output.LayerNorm")
    g.nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"], name="last_hidden_state"))

    dims = ["batch_size", "sequence_length"]
    graph = helper.make_graph(
        g.nodes,
        "bert",
        [helper.make_tensor_value_info(n, TensorProto.INT64, dims) for n in (ids, mask, types)],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, dims + [hidden])],
        g.inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="pgai bert_to_onnx")
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    model_dir = sys.argv[1]
    out_dir = os.path.join(model_dir, "onnx")
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(out_dir, "model.onnx")
    tmp = out + ".tmp"
    onnx.save(convert(model_dir), tmp)
    os.replace(tmp, out)  # never leave a half-written graph where the engine looks
    print(out)


if __name__ == "__main__":
    main()
