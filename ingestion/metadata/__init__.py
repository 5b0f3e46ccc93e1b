"""Metadata of one Chinese official document read from its text (:class:`PolicyMetadataExtractor`), one module per
field family, and the checks of the values a person corrects (:func:`corrected_value_problems`)."""

from ingestion.metadata.corrections import MAX_TEXT_FIELD_CHARS, corrected_value_problems
from ingestion.metadata.doc_numbers import normalize_doc_number
from ingestion.metadata.extractor import PolicyMetadataExtractor
from ingestion.metadata.tags import TITLE_WEIGHT

__all__ = [
    "MAX_TEXT_FIELD_CHARS",
    "TITLE_WEIGHT",
    "PolicyMetadataExtractor",
    "corrected_value_problems",
    "normalize_doc_number",
]
