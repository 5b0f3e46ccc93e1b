"""Where the product is assembled: the one place that chooses the index backend and wires components."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from functools import cached_property, partial
from typing import TYPE_CHECKING

from index.types import PolicyStore
from policykb.settings import IndexBackend, Settings

if TYPE_CHECKING:  # imported when first used: `policykb docs` and `--help` start without Haystack
    from index.elasticsearch.config import ElasticsearchStoreConfig
    from index.embedder import PolicyEmbedder
    from index.retrieval import HybridSearcher
    from index.tokenizer import PolicyTokenizer
    from ingestion.service import IngestionService
    from push_rules.service import PushService
    from push_rules.worker import DeliveryWorker
    from qa.pipeline import PolicyAnswerer
    from qa.sentence_selector import SentenceSelector
    from qa.term_weights import TermWeights
    from qa.types import AnswerGenerator


class ConfigurationError(RuntimeError):
    """Settings that cannot work together; the message says which setting to change."""


def build_store(settings: Settings) -> PolicyStore:
    if settings.index_backend == IndexBackend.EMBEDDED:
        from index.sqlite_store import SqlitePolicyStore

        return SqlitePolicyStore(settings.index_path)
    if settings.index_backend == IndexBackend.ELASTICSEARCH:
        from index.elasticsearch.store import ElasticsearchPolicyStore

        return ElasticsearchPolicyStore.connect(elasticsearch_config(settings))
    raise ConfigurationError(f"未知的索引后端：{settings.index_backend}")


def elasticsearch_config(settings: Settings) -> ElasticsearchStoreConfig:
    """The cluster, credentials and index layout the settings name (for the store, `policykb es check` and `reindex`).

    The embedding size is read from the model folder's config; a model without one is loaded to ask it.

    :raises ElasticsearchUnavailable: when no URL is set.
    :raises ValueError: when the index prefix or the vector index type is invalid.
    """
    from index.elasticsearch.config import ElasticsearchConnection, ElasticsearchStoreConfig
    from index.elasticsearch.errors import ElasticsearchUnavailable
    from index.elasticsearch.mapping import IndexLayout, VectorIndexType
    from index.embedder import embedding_dimension_of

    if not settings.elasticsearch_url:
        raise ElasticsearchUnavailable(
            "已选择 Elasticsearch 后端，但没有设置 POLICYKB_ELASTICSEARCH_URL（例如 https://es1.example.gov.cn:9200）"
        )
    connection = ElasticsearchConnection(
        url=settings.elasticsearch_url,
        api_key=settings.elasticsearch_api_key.get_secret_value() if settings.elasticsearch_api_key else None,
        username=settings.elasticsearch_username,
        password=settings.elasticsearch_password.get_secret_value() if settings.elasticsearch_password else None,
        ca_certs=settings.elasticsearch_ca_certs,
        request_timeout=settings.elasticsearch_request_timeout,
        max_retries=settings.elasticsearch_max_retries,
    )
    dims = embedding_dimension_of(settings.embedding_model)
    if dims is None:
        from index.embedder import PolicyEmbedder

        dims = PolicyEmbedder(settings.embedding_model).dimension
    layout = IndexLayout(
        prefix=settings.elasticsearch_index_prefix,
        embedding_dims=dims,
        use_ik=settings.elasticsearch_use_ik,
        shards=settings.elasticsearch_shards,
        replicas=settings.elasticsearch_replicas,
        vector_index=VectorIndexType.from_str(settings.elasticsearch_vector_index),
    )
    return ElasticsearchStoreConfig(connection, layout, bulk_batch_size=settings.elasticsearch_bulk_batch_size)


def disable_haystack_telemetry() -> None:
    """The product never phones home: switch off Haystack's usage telemetry (PostHog), on by default.

    The environment variable covers processes that import Haystack later; the module switch covers this one,
    where Haystack may already be imported.
    """
    os.environ["HAYSTACK_TELEMETRY_ENABLED"] = "False"
    if "haystack" in sys.modules:
        from haystack.telemetry import _telemetry

        _telemetry.telemetry = None


@dataclass
class PolicyKB:
    """The assembled product: settings plus lazily built components, shared by the CLI and the web app."""

    settings: Settings

    def __post_init__(self) -> None:
        disable_haystack_telemetry()

    @cached_property
    def store(self) -> PolicyStore:
        return build_store(self.settings)

    @cached_property
    def tokenizer(self) -> PolicyTokenizer:
        from index.tokenizer import PolicyTokenizer

        return PolicyTokenizer()

    @cached_property
    def embedder(self) -> PolicyEmbedder:
        from index.embedder import EmbeddingCache, PolicyEmbedder

        settings = self.settings
        embedder = PolicyEmbedder(
            settings.embedding_model,
            query_prefix=settings.embedding_query_prefix,
            passage_prefix=settings.embedding_passage_prefix,
            batch_size=settings.embedding_batch_size,
            max_tokens=settings.embedding_max_tokens,
            threads=settings.torch_threads,
            query_threads=settings.query_torch_threads,
            precision=settings.embedding_precision,
            query_runtime=settings.embedding_query_runtime,
        )
        embedder.cache = EmbeddingCache(settings.data_dir / "embedding_cache.sqlite3", embedder.model_key)
        return embedder

    @cached_property
    def searcher(self) -> HybridSearcher:
        from index.retrieval import HybridSearcher

        settings = self.settings
        return HybridSearcher(
            self.store,
            self.tokenizer,
            self.embedder,
            candidates=settings.retrieval_candidates,
            rrf_k=settings.rrf_k,
            bm25_weight=settings.bm25_weight,
            dense_weight=settings.dense_weight,
        )

    @cached_property
    def ingestion(self) -> IngestionService:
        from ingestion.chunker import PolicyChunker
        from ingestion.metadata import PolicyMetadataExtractor
        from ingestion.readers import read_document
        from ingestion.readers.limits import MB, ParserLimits
        from ingestion.readers.sandbox import SandboxedReader
        from ingestion.service import IngestionService

        settings = self.settings
        limits = ParserLimits(
            docx_max_xml_bytes=settings.parser_docx_max_xml_mb * MB,
            docx_max_xml_elements=settings.parser_docx_max_xml_elements,
            pdf_max_pages=settings.parser_pdf_max_pages,
        )
        return IngestionService(
            self.store,
            self.tokenizer,
            self.embedder,
            chunker=PolicyChunker(settings.chunk_max_chars, settings.chunk_min_chars),
            extractor=PolicyMetadataExtractor(),
            max_bytes=settings.max_upload_bytes,
            originals_dir=settings.originals_dir,
            reader=partial(read_document, limits=limits),
            # Uploads come from the network: parsed in a child process, so a hostile file cannot grow the server.
            upload_reader=SandboxedReader(limits, memory_mb=settings.parser_memory_mb, timeout_s=settings.parser_timeout_s),
        )

    @cached_property
    def sentence_selector(self) -> SentenceSelector:
        from qa.sentence_selector import SentenceSelector

        settings = self.settings
        return SentenceSelector(
            self.term_weights,
            max_sentences=settings.qa_answer_max_sentences,
            max_chars=settings.qa_answer_max_chars,
            quote_max_chars=settings.qa_quote_max_chars,
            passage_weight=settings.qa_answer_passage_weight,
        )

    @cached_property
    def answer_generator(self) -> AnswerGenerator:
        """The one place the answer mode is chosen (setting ``answer_mode``)."""
        from qa.answer_composer import ExtractiveAnswerGenerator
        from qa.types import AnswerMode

        settings = self.settings
        extractive = ExtractiveAnswerGenerator(self.sentence_selector)
        if settings.answer_mode == AnswerMode.EXTRACTIVE:
            return extractive
        if settings.answer_mode == AnswerMode.GENERATIVE:
            from qa.chat_completions import ChatCompletionsClient
            from qa.generative import GenerativeAnswerGenerator

            try:
                client = ChatCompletionsClient(
                    settings.llm_base_url,
                    settings.llm_model,
                    api_key=settings.llm_api_key,
                    timeout_s=settings.llm_timeout_s,
                    temperature=settings.llm_temperature,
                )
            except ValueError as error:
                raise ConfigurationError(f"POLICYKB_LLM_BASE_URL 无效：{error}") from None
            return GenerativeAnswerGenerator(
                client,
                extractive,
                max_sources=settings.llm_max_sources,
                max_tokens=settings.llm_max_tokens,
                min_sentence_support=settings.llm_min_sentence_support,
            )
        raise ConfigurationError(f"未知的答复方式：{settings.answer_mode}")

    @cached_property
    def term_weights(self) -> TermWeights:
        from qa.term_weights import TermWeights

        return TermWeights(self.tokenizer, self.store, cache_dir=self.settings.data_dir)

    @cached_property
    def answerer(self) -> PolicyAnswerer:
        from qa.conversation import ConversationStore
        from qa.pipeline import AnswererLimits, PolicyAnswerer

        settings = self.settings
        return PolicyAnswerer(
            self.searcher,
            self.term_weights,
            self.answer_generator,
            ConversationStore(
                settings.conversations_path,
                max_turns=settings.conversation_max_turns,
                max_conversations=settings.conversation_max_count,
            ),
            refusal_threshold=settings.qa_refusal_threshold,
            include_expired=settings.qa_include_expired,
            candidates=settings.qa_candidates,
            limits=AnswererLimits(max_question_chars=settings.qa_max_question_chars, related_count=settings.qa_related_count),
            excerpts=self.sentence_selector,
        )

    @cached_property
    def push(self) -> PushService:
        from push_rules.service import PushService

        return PushService(self.settings.push, self.store.get_document, tokenize=self.tokenizer.tokenize)

    def start_push_delivery(self) -> DeliveryWorker:
        """Start delivering the push outbox (webhooks, e-mail) in a background thread; stop it before :meth:`close`."""
        from push_rules.worker import DeliveryWorker

        worker = DeliveryWorker(self.push)
        worker.start()
        return worker

    def close(self) -> None:
        if "push" in self.__dict__:
            self.push.close()
        if "store" in self.__dict__:
            self.store.close()
        if "answerer" in self.__dict__:
            self.answerer.conversations.close()
        if "answer_generator" in self.__dict__:
            close = getattr(self.answer_generator, "close", None)
            if close is not None:
                close()  # the generative generator's HTTP connections
