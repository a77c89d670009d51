"""An int8 ONNX graph of a BERT sentence encoder, built from its weights (no exporter, no download).

``build_int8_encoder(weights, config, calibration_ids)`` writes the whole sentence-transformers pipeline of a BERT
model with mean pooling and normalisation (all-MiniLM-L6-v2 and its kin) as one ONNX graph for ONNX
Runtime: token ids and attention mask in, unit sentence vectors out.

How the linear layers are quantised, and why (measured against plain sentence-transformers):

* Weights: int8, symmetric, one scale per output column.
* Activations: int8, symmetric, one scale per token (row), computed at run time from that token
  alone. ONNX Runtime's own dynamic quantisation (``quantize_dynamic``) uses one scale for the
  whole batch: a document's vector then depends on the other documents in its batch and on their
  padding, and the tokens with outlying values cost every other token its precision (minimum
  cosine 0.978 on 1,500 octis_dblp titles). Per token, it is above 0.99 and batch-independent.
* Inputs of the query/key/value and intermediate products (LayerNorm outputs, where a few channels
  are an order of magnitude larger than the rest) are divided per channel by a smoothing factor
  that is multiplied into the weights (SmoothQuant). The factors come from each channel's largest
  value over a fixed set of sentences (``CALIBRATION_SENTENCES``, run through a float forward pass
  in numpy at build time): minimum cosine on all of octis_dblp 0.993 without, 0.997 with.
* The output product's input is a GELU output, never below -0.17: its row scale comes from the
  row's largest value alone (one reduction instead of two).

Integer products are exact and every other step works row by row (padded keys get zero attention
weight), so a document's vector does not depend on its batch beyond float rounding (1e-6). A batch
without padding (texts cut at the length limit, most of a news corpus) runs attention without the
key mask, on ONNX Runtime's faster unmasked kernel.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from ..exceptions import InputError

#: Bump when the graph changes: it is part of the cache key of built graphs.
GRAPH_VERSION = 1
_GELU_BOUND = 0.17  # erf-GELU(x) >= -0.16997 for every x
_SMOOTH_ALPHA = 0.5  # SmoothQuant's migration strength
_OPSET = 17

#: Sentences whose activations set the smoothing factors (the large channels are a property of the
#: model, not of the text: any ordinary English gives the same picture). Part of the cache key.
CALIBRATION_SENTENCES = (
    "The central bank raised interest rates by a quarter point on Thursday.",
    "Shares in the carmaker fell sharply after it cut its profit forecast for the year.",
    "The striker scored twice as the home side won the cup final in extra time.",
    "Scientists have found water ice in craters near the moon's south pole.",
    "A scalable algorithm for mining frequent patterns in large transaction databases",
    "Efficient query processing over compressed inverted indexes",
    "The new phone has a larger screen, a faster processor and a better camera.",
    "Voters in the north of the country will go to the polls next month.",
    "How do I reset my password if I no longer have access to my email?",
    "The film won three awards, including best director and best original screenplay.",
    "Heavy rain caused flooding across the region, and hundreds of homes were evacuated.",
    "Patients who took the drug for twelve weeks reported less pain than those given a placebo.",
    "I think the second half of the book is much better than the first.",
    "The museum's collection includes paintings, sculptures and ancient coins.",
    "Deep neural networks for image classification with limited labelled data",
    "The minister said the government would publish its plans for schools in the spring.",
    "Prices rose 2.4% in March, compared with 1.9% a year earlier.",
    "Thanks for the quick reply! The fix worked on Linux but not on Windows.",
    "The orchestra will perform Beethoven's ninth symphony at the festival in July.",
    "Farmers say the drought has cut the wheat harvest by a third.",
    "A formal model of access control for distributed systems",
    "The company plans to hire 500 engineers and open a new office in Berlin.",
    "Fans queued overnight to buy tickets for the band's only concert this year.",
    "The court ruled that the contract was void because it had not been signed.",
)


def check_bert_config(config: dict[str, Any], pooling: dict[str, Any]) -> None:
    """Raise ``InputError`` unless the model is one this graph reproduces (BERT, GELU, mean pooling)."""
    wanted = {
        "model_type": "bert",
        "hidden_act": "gelu",
        "position_embedding_type": "absolute",
    }
    for key, value in wanted.items():
        got = config.get(key, "absolute" if key == "position_embedding_type" else None)
        if got != value:
            raise InputError(f"the int8 ONNX encoder needs a BERT model with {key}={value!r}; got {got!r}")
    if config["hidden_size"] % config["num_attention_heads"]:
        raise InputError("the int8 ONNX encoder needs hidden_size divisible by num_attention_heads")
    modes = [k for k, v in pooling.items() if k.startswith("pooling_mode_") and v]
    if modes != ["pooling_mode_mean_tokens"]:
        raise InputError(f"the int8 ONNX encoder needs mean pooling only; the model's pooling uses {modes}")


class _Builder:
    """Nodes and constants of one graph, with generated names."""

    def __init__(self, int8: bool) -> None:
        self.int8 = int8
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._count = 0

    def name(self, stem: str) -> str:
        self._count += 1
        return f"{stem}_{self._count}"

    def const(self, value: Any, dtype: Any = np.float32, stem: str = "c") -> str:
        from onnx import numpy_helper

        name = self.name(stem)
        self.initializers.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def op(self, op_type: str, inputs: list[str], *, domain: str = "", outputs: int = 1, **attrs: Any) -> Any:
        from onnx import helper

        names = [self.name(op_type) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op_type, inputs, names, domain=domain or None, **attrs))
        return names[0] if outputs == 1 else names


def _quantise_weight(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(int8 weight, float32 scale per column) of a (in, out) float matrix, symmetric."""
    scale = np.abs(weight).max(axis=0) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(weight / scale), -127, 127).astype(np.int8)
    return q, scale.astype(np.float32)


def _smoothing(act_max: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Per input channel factors ``s`` (the layer computes (x / s) @ (s * W)) from each channel's
    largest calibration value and the weight's largest value on that channel."""
    wmax = np.abs(weight).max(axis=1)
    s = np.maximum(act_max, 1e-5) ** _SMOOTH_ALPHA / np.maximum(wmax, 1e-5) ** (1 - _SMOOTH_ALPHA)
    return np.maximum(s, 1e-5).astype(np.float32)


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return np.asarray((x - mean) / np.sqrt(var + eps) * gamma + beta)


def calibration_maxima(
    w: dict[str, np.ndarray], config: dict[str, Any], token_ids: list[list[int]]
) -> dict[tuple[str, int], np.ndarray]:
    """Largest |value| per channel of the inputs of each layer's query/key/value ("qkv") and
    intermediate ("up") products, over the given token sequences: a float32 forward pass in numpy
    (the sequences' tokens stacked; attention within each sequence)."""
    from scipy.special import erf

    hidden = int(config["hidden_size"])
    heads = int(config["num_attention_heads"])
    size = hidden // heads
    eps = float(config.get("layer_norm_eps", 1e-12))
    bounds = np.cumsum([0] + [len(ids) for ids in token_ids])
    flat = np.concatenate([np.asarray(ids, dtype=np.int64) for ids in token_ids])
    positions = np.concatenate([np.arange(len(ids)) for ids in token_ids])
    x = w["embeddings.word_embeddings.weight"][flat] + w["embeddings.position_embeddings.weight"][positions]
    x = x + w["embeddings.token_type_embeddings.weight"][0]
    h = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
    maxima: dict[tuple[str, int], np.ndarray] = {}

    def dense(x: np.ndarray, name: str) -> np.ndarray:
        return np.asarray(x @ w[name + ".weight"].T + w[name + ".bias"])

    for layer in range(int(config["num_hidden_layers"])):
        p = f"encoder.layer.{layer}."
        maxima[("qkv", layer)] = np.abs(h).max(axis=0)
        q, k, v = (dense(h, f"{p}attention.self.{t}").reshape(-1, heads, size) for t in ("query", "key", "value"))
        ctx = np.empty_like(h)
        for lo, hi in itertools.pairwise(bounds):
            scores = np.einsum("qhd,khd->hqk", q[lo:hi], k[lo:hi]) / np.sqrt(size)
            probs = np.exp(scores - scores.max(axis=-1, keepdims=True))
            probs /= probs.sum(axis=-1, keepdims=True)
            ctx[lo:hi] = np.einsum("hqk,khd->qhd", probs, v[lo:hi]).reshape(hi - lo, hidden)
        norm = f"{p}attention.output.LayerNorm."
        h = _layer_norm(dense(ctx, f"{p}attention.output.dense") + h, w[norm + "weight"], w[norm + "bias"], eps)
        maxima[("up", layer)] = np.abs(h).max(axis=0)
        up = dense(h, f"{p}intermediate.dense")
        up = 0.5 * up * (1.0 + erf(up / np.sqrt(2.0)))
        norm = f"{p}output.LayerNorm."
        h = _layer_norm(dense(up, f"{p}output.dense") + h, w[norm + "weight"], w[norm + "bias"], eps)
    return maxima


def _quantise_rows(b: _Builder, x: str, smooth: np.ndarray | None, *, after_gelu: bool) -> tuple[str, str]:
    """(uint8 ``x`` with zero point 128, scale per row): symmetric int8 with one scale per token."""
    if smooth is not None:
        x = b.op("Mul", [x, b.const(1.0 / smooth)])
    if after_gelu:
        # erf-GELU is never below -0.17: the largest |value| of a row is max(its largest value, 0.17).
        amax = b.op("Max", [b.op("ReduceMax", [x], axes=[1], keepdims=0), b.const(_GELU_BOUND)])
    else:
        lowest = b.op("ReduceMin", [x], axes=[1], keepdims=0)  # two reductions: cheaper than Abs, then one
        amax = b.op("Max", [b.op("ReduceMax", [x], axes=[1], keepdims=0), b.op("Neg", [lowest])])
    scale = b.op("Max", [b.op("Mul", [amax, b.const(1.0 / 127.0)]), b.const(1e-12)])
    zero = b.op("ConstantOfShape", [b.op("Shape", [scale])], value=_uint8_tensor(128))
    return b.op("QuantizeLinear", [x, scale, zero], axis=0), scale


def _linear(
    b: _Builder, x: str, weights: list[np.ndarray], smooth: np.ndarray | None = None, *, after_gelu: bool = False
) -> list[str]:
    """x (rows, in) @ W (in, out) for each W, without bias: int8 products on one quantisation of x."""
    if not b.int8:
        return [str(b.op("MatMul", [x, b.const(weight, stem="w")])) for weight in weights]
    if smooth is not None:
        weights = [weight * smooth[:, None] for weight in weights]
    xq, scale = _quantise_rows(b, x, smooth, after_gelu=after_gelu)
    row_scale = b.op("Unsqueeze", [scale, b.const([1], np.int64)])
    out = []
    for weight in weights:
        wq, wscale = _quantise_weight(weight)
        inputs = [xq, b.const(wq, np.int8, "w"), b.const(1.0), b.const(wscale, stem="ws"), b.const(128, np.uint8)]
        y = b.op("MatMulIntegerToFloat", inputs, domain="com.microsoft")  # (xq - 128) @ wq * wscale
        out.append(str(b.op("Mul", [y, row_scale])))
    return out


def _add_norm(b: _Builder, x: str, bias: np.ndarray, skip: str, gamma: np.ndarray, beta: np.ndarray, eps: float) -> str:
    """LayerNorm(x + bias + skip). (Two Adds and ONNX's LayerNormalization run faster here than ONNX
    Runtime's fused SkipLayerNormalization.)"""
    total = b.op("Add", [b.op("Add", [x, b.const(bias)]), skip])
    return str(b.op("LayerNormalization", [total, b.const(gamma), b.const(beta)], axis=-1, epsilon=eps))


def _attention(b: _Builder, qkv: list[str], bias: str, key_mask: str, at_limit: str, heads: int) -> str:
    """Multi-head attention. A batch whose texts all reach the length limit (no padding) skips the
    key mask, which takes ONNX Runtime's faster unmasked kernel. The two kernels differ by float
    rounding (1e-6), which int8 rounding downstream can grow to 1e-3, so the kernel must depend on
    the text alone: the encoder never batches texts at the limit with shorter ones."""
    from onnx import TensorProto, helper

    branches = []
    for inputs in ([*qkv, bias], [*qkv, bias, key_mask]):
        out = b.name("attended")
        node = helper.make_node("MultiHeadAttention", inputs, [out], domain="com.microsoft", num_heads=heads)
        branches.append(
            helper.make_graph(
                [node], b.name("branch"), [], [helper.make_tensor_value_info(out, TensorProto.FLOAT, None)]
            )
        )
    return str(b.op("If", [at_limit], then_branch=branches[0], else_branch=branches[1]))


def _uint8_tensor(value: int) -> Any:
    from onnx import TensorProto, helper

    return helper.make_tensor("value", TensorProto.UINT8, [1], [value])


def build_int8_encoder(
    weights: dict[str, np.ndarray],
    config: dict[str, Any],
    calibration_ids: list[list[int]],
    max_length: int,
    *,
    int8: bool = True,
) -> bytes:
    """The serialised ONNX model: inputs ``input_ids`` and ``attention_mask`` (int64, batch x
    tokens), output ``sentence_embedding`` (float32, batch x hidden, unit rows). ``max_length``:
    the tokenizer's limit (a batch of texts cut there runs attention without a mask).

    ``calibration_ids``: the token ids of ``CALIBRATION_SENTENCES`` (with the special tokens), for
    the smoothing factors. ``int8=False`` keeps every product in float32: the same graph, to check
    it against the original model apart from quantisation."""
    from onnx import TensorProto, helper

    w = {k.removeprefix("bert."): v for k, v in weights.items()}
    hidden = int(config["hidden_size"])
    heads = int(config["num_attention_heads"])
    eps = float(config.get("layer_norm_eps", 1e-12))
    b = _Builder(int8)
    maxima = calibration_maxima(w, config, calibration_ids) if int8 else {}
    ids, mask = "input_ids", "attention_mask"

    # Embeddings: word + position + token type 0 (single sentences), then LayerNorm.
    pos_type = w["embeddings.position_embeddings.weight"] + w["embeddings.token_type_embeddings.weight"][0]
    seq_len = b.op("Shape", [ids], start=1, end=2)
    pos = b.op("Slice", [b.const(pos_type, stem="pos"), b.const([0], np.int64), seq_len, b.const([0], np.int64)])
    x = b.op("Add", [b.op("Gather", [b.const(w["embeddings.word_embeddings.weight"], stem="word"), ids]), pos])
    gamma, beta = w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"]
    h3 = b.op("LayerNormalization", [x, b.const(gamma), b.const(beta)], axis=-1, epsilon=eps)
    h = b.op("Reshape", [h3, b.const([-1, hidden], np.int64)])  # (batch * tokens, hidden) from here on
    bsd = b.op("Concat", [b.op("Shape", [ids]), b.const([hidden], np.int64)], axis=0)
    key_mask = b.op("Cast", [mask], to=TensorProto.INT32)
    full = b.op("Equal", [b.op("ReduceMin", [key_mask], keepdims=0), b.const(1, np.int32)])
    at_limit = b.op("And", [full, b.op("Equal", [b.op("Squeeze", [seq_len]), b.const(max_length, np.int64)])])

    for layer in range(int(config["num_hidden_layers"])):
        p = f"encoder.layer.{layer}."
        qkv_w = [w[f"{p}attention.self.{n}.weight"].T for n in ("query", "key", "value")]
        qkv_b = np.concatenate([w[f"{p}attention.self.{n}.bias"] for n in ("query", "key", "value")])
        smooth = _smoothing(maxima[("qkv", layer)], np.concatenate(qkv_w, axis=1)) if int8 else None
        q, k, v = _linear(b, h, qkv_w, smooth)
        attended = _attention(
            b, [b.op("Reshape", [t, bsd]) for t in (q, k, v)], b.const(qkv_b), key_mask, at_limit, heads
        )
        (attn,) = _linear(
            b, b.op("Reshape", [attended, b.const([-1, hidden], np.int64)]), [w[f"{p}attention.output.dense.weight"].T]
        )
        norm = f"{p}attention.output.LayerNorm."
        h = _add_norm(b, attn, w[f"{p}attention.output.dense.bias"], h, w[norm + "weight"], w[norm + "bias"], eps)
        up_w = w[f"{p}intermediate.dense.weight"].T
        (up,) = _linear(b, h, [up_w], _smoothing(maxima[("up", layer)], up_w) if int8 else None)
        g = b.op("BiasGelu", [up, b.const(w[f"{p}intermediate.dense.bias"])], domain="com.microsoft")
        (down,) = _linear(b, g, [w[f"{p}output.dense.weight"].T], after_gelu=True)
        norm = f"{p}output.LayerNorm."
        h = _add_norm(b, down, w[f"{p}output.dense.bias"], h, w[norm + "weight"], w[norm + "bias"], eps)

    # Mean over the real tokens, then unit length (sentence-transformers' Pooling + Normalize).
    weights_f = b.op("Unsqueeze", [b.op("Cast", [mask], to=TensorProto.FLOAT), b.const([2], np.int64)])
    summed = b.op(
        "ReduceSum", [b.op("Mul", [b.op("Reshape", [h, bsd]), weights_f]), b.const([1], np.int64)], keepdims=0
    )
    count = b.op("ReduceSum", [weights_f, b.const([1], np.int64)], keepdims=0)
    mean = b.op("Div", [summed, b.op("Max", [count, b.const(1e-9)])])
    b.nodes.append(helper.make_node("LpNormalization", [mean], ["sentence_embedding"], axis=1, p=2))

    graph = helper.make_graph(
        b.nodes,
        "int8_sentence_encoder",
        [
            helper.make_tensor_value_info(ids, TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info(mask, TensorProto.INT64, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", hidden])],
        b.initializers,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", _OPSET), helper.make_opsetid("com.microsoft", 1)],
        producer_name="topicscope",
        producer_version=str(GRAPH_VERSION),
    )
    model.ir_version = 8
    return bytes(model.SerializeToString())
