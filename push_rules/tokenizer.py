"""The keyword tokenizer of subscriptions: the search tokenizer, so a keyword means the same in both places."""

from __future__ import annotations

from collections.abc import Callable

Tokenize = Callable[[str], list[str]]


def default_tokenize() -> Tokenize:
    """``index.tokenizer.PolicyTokenizer().tokenize`` (jieba with the policy dictionary and normalisation)."""
    from index.tokenizer import PolicyTokenizer

    return PolicyTokenizer().tokenize
