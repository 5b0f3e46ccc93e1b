"""The one settings object of PolicyKB.

Environment variables (prefix ``POLICYKB_``) beat an optional ``.env`` file, which beats the defaults below.
Build it once at start-up with :func:`load_settings` and pass it down; nothing else reads the environment.
Every field is documented in docs/configuration.md (``tests/test_settings_documented.py`` fails otherwise).
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from index.embedder import EmbeddingPrecision, QueryRuntime
from push_rules.settings import PushSettings
from qa.types import AnswerMode


class IndexBackend(str, Enum):
    EMBEDDED = "embedded"
    ELASTICSEARCH = "elasticsearch"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POLICYKB_", env_file=".env", env_nested_delimiter="__", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Data directory: index, originals, caches.")
    index_backend: IndexBackend = Field(IndexBackend.EMBEDDED, description="`embedded` (SQLite, no server) or `elasticsearch`.")
    embedding_model: str = Field(
        "models/multilingual-e5-small",
        description="Sentence-transformers model: a local folder (default: the one `policykb model provision` builds) or a model name.",
    )
    embedding_query_prefix: str = Field("query: ", description="Prefix put before a query before embedding it (e5 convention).")
    embedding_passage_prefix: str = Field("passage: ", description="Prefix put before a passage before embedding it.")
    embedding_batch_size: int = Field(32, ge=1, description="Passages embedded per batch at ingestion.")
    embedding_max_tokens: int = Field(256, ge=16, le=512, description="Passages are truncated to this many model tokens.")
    embedding_precision: EmbeddingPrecision = Field(
        EmbeddingPrecision.AUTO,
        description="Weights the model runs with: `float32`, `bfloat16` (about 1.7–1.9× faster on CPUs with AMX or AVX512-BF16; `bench/embedding_speed.py`), or `auto` (bfloat16 where the CPU has those instructions). Part of the embedding cache key, so switching re-embeds.",
    )
    embedding_query_runtime: QueryRuntime = Field(
        QueryRuntime.AUTO,
        description="What embeds a question: `onnx` (the int8 ONNX export `policykb model provision` writes next to the model, ≈3× faster than torch, cosine ≥ 0.99 to it; `bench/query_embedding.py`), `torch`, or `auto` (onnx where that export exists and matches the model, else torch).",
    )
    torch_threads: int = Field(2, ge=1, description="CPU threads torch uses to embed passages at ingestion.")
    query_torch_threads: int = Field(
        1,
        ge=1,
        description="CPU threads that embed one query (torch or ONNX Runtime). 1 is robust: with more, a busy machine slows query embedding tenfold (thread oversubscription).",
    )
    chunk_max_chars: int = Field(400, ge=100, description="Upper bound of a chunk's length in characters.")
    chunk_min_chars: int = Field(80, ge=0, description="Chunks shorter than this are merged with a neighbour under the same heading.")
    max_upload_mb: int = Field(50, ge=1, description="Largest file accepted for ingestion, in MB; also the largest upload request (`POST /api/documents`, all its files together), refused with 413 while it streams in.")
    max_request_body_kb: int = Field(64, ge=1, description="Largest request body of every route except uploads (JSON APIs, forms), in KB; a larger one gets 413 before it is parsed.")
    parser_docx_max_xml_mb: int = Field(64, ge=1, description="Largest total size of the XML inside a DOCX, in MB; a bigger one is refused before it is parsed.")
    parser_docx_max_xml_elements: int = Field(2_000_000, ge=1, description="Most XML elements a DOCX may hold (counted in a streaming pass before it is parsed).")
    parser_pdf_max_pages: int = Field(2000, ge=1, description="Most pages of a PDF; a longer one is refused before its pages are read.")
    parser_memory_mb: int = Field(1024, ge=64, description="Address space, in MB, of the child process that parses each uploaded file; a file needing more is refused and the server's memory does not grow.")
    parser_timeout_s: float = Field(120.0, gt=0, description="Seconds an uploaded file may take to parse (in its child process) before it is stopped and refused.")
    retrieval_candidates: int = Field(100, ge=1, description="Candidates each retriever contributes before fusion.")
    rrf_k: int = Field(10, ge=1, description="Reciprocal rank fusion constant k (chosen by `bench/fusion_sweep.py` on half of ncp_dev).")
    bm25_weight: float = Field(1.0, ge=0.0, description="Weight of the BM25 ranking in the fusion.")
    dense_weight: float = Field(0.5, ge=0.0, description="Weight of the dense (embedding) ranking in the fusion (chosen by `bench/fusion_sweep.py`).")
    default_top_k: int = Field(10, ge=1, le=100, description="Hits returned when a search names no top_k.")
    host: str = Field("127.0.0.1", description="Address `policykb serve` binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port `policykb serve` listens on.")
    display_timezone: str = Field("Asia/Shanghai", description="Time zone (IANA name) in which pages show times people read: the audit log, the inbox, users, feedback, the staff console. Times are stored in UTC; the JSON APIs give ISO 8601 times.")
    forwarded_allow_ips: str = Field("", description="Reverse proxies whose `X-Forwarded-For`/`X-Forwarded-Proto` `policykb serve` believes (comma-separated IPs or CIDRs, e.g. `127.0.0.1` behind a local nginx). Empty: no such header is believed and the client address is the connection's peer, so a client cannot pick the address that rate limits and the audit log see.")
    elasticsearch_url: str | None = Field(None, description="Elasticsearch URL, used when index_backend is `elasticsearch`.")
    elasticsearch_api_key: SecretStr | None = Field(None, description="Elasticsearch API key (base64 `id:key` as Kibana shows it); used instead of user/password when set. Never logged.")
    elasticsearch_username: str | None = Field(None, description="Elasticsearch user for basic authentication (e.g. a `policykb` user with the role in docs/elasticsearch.md).")
    elasticsearch_password: SecretStr | None = Field(None, description="Password of `elasticsearch_username`. Never logged.")
    elasticsearch_ca_certs: Path | None = Field(None, description="CA certificate (PEM) that signed the cluster's HTTPS certificate, e.g. `config/certs/http_ca.crt`.")
    elasticsearch_index_prefix: str = Field("policykb", description="Prefix of the Elasticsearch indices and aliases (`<prefix>-documents`, `<prefix>-chunks`); lower case.")
    elasticsearch_use_ik: bool = Field(False, description="Index the original text with the IK analyzer (plugin needed on every node) instead of PolicyKB's jieba tokens; run `policykb reindex` after changing it.")
    elasticsearch_shards: int = Field(1, ge=1, description="Primary shards of each new index (see docs/elasticsearch.md for sizing); applies at `policykb reindex`.")
    elasticsearch_replicas: int = Field(1, ge=0, description="Replica shards of each new index; 0 on a single-node cluster.")
    elasticsearch_vector_index: str = Field("hnsw", description="`index_options.type` of the embedding field: `hnsw` (float, exact scores) or `int8_hnsw` (a quarter of the memory), `int4_hnsw`, `flat`, `int8_flat`.")
    elasticsearch_bulk_batch_size: int = Field(500, ge=1, description="Records (chunks and documents) sent per Elasticsearch bulk request.")
    elasticsearch_max_retries: int = Field(3, ge=0, description="Retries, with exponential backoff, of a bulk request or a search that got 429/5xx or lost the connection.")
    elasticsearch_request_timeout: float = Field(30.0, gt=0, description="Seconds to wait for one Elasticsearch request.")
    answer_mode: AnswerMode = Field(AnswerMode.EXTRACTIVE, description="How answers are written: `extractive` (quoted sentences, no LLM) or `generative` (a language model writes the answer from numbered sources, checked against them; extractive fallback, see the `llm_*` settings).")
    llm_base_url: str = Field("http://127.0.0.1:8080/v1", description="OpenAI-compatible API root of the generative model (DeepSeek, Qwen/DashScope, vLLM, Ollama, `policykb llm serve`); `/chat/completions` is appended.")
    llm_model: str = Field("qwen2.5-coder-0.5b-instruct", description="Model name sent to that endpoint.")
    llm_api_key: SecretStr | None = Field(None, description="API key of that endpoint, sent as a bearer token (also required by `policykb llm serve` when set). Never logged or shown.")
    llm_timeout_s: float = Field(60.0, gt=0, description="Seconds the model may take for a whole answer; slower, down or refusing endpoints get the extractive answer with a notice.")
    llm_max_tokens: int = Field(300, ge=16, description="Longest generated answer, in model tokens.")
    llm_temperature: float = Field(0.0, ge=0.0, le=2.0, description="Sampling temperature of the model (0: reproducible answers).")
    llm_max_sources: int = Field(3, ge=1, le=10, description="Passages given to the model as numbered sources (the most relevant ones).")
    llm_min_sentence_support: float = Field(0.5, ge=0.0, le=1.0, description="Least share of a generated sentence's wording (character bigrams) found in its cited sources; below it the extractive answer is shown instead. 0 turns the check off.")
    qa_refusal_threshold: float = Field(0.62, ge=0.0, le=1.0, description="Least passage relevance (0–1) to answer from; below it the question is refused. Calibrated on dev data.")
    qa_max_question_chars: int = Field(300, ge=10, description="Longest question accepted, in characters; longer ones are rejected, not truncated.")
    qa_candidates: int = Field(20, ge=1, le=100, description="Passages retrieved and reranked per question.")
    qa_answer_max_sentences: int = Field(4, ge=1, description="Most sentences an extractive answer quotes; the numbered items of a list the answer introduces (…符合下列条件：（一）…) are bounded by the quote's character cap only, and an answer that stops before the list's end says so.")
    qa_answer_max_chars: int = Field(220, ge=40, description="Most characters an extractive answer quotes (a single longer sentence is still quoted whole).")
    qa_quote_max_chars: int = Field(400, ge=40, description="Most characters of a citation's quote: the answer sentences plus the rest of their item as context.")
    qa_answer_passage_weight: float = Field(5.0, ge=0.0, description="How much the reranked passage's relevance counts, next to a sentence's own match, when choosing the answer's first sentence.")
    qa_include_expired: bool = Field(False, description="Also answer from expired (已失效) policies.")
    qa_related_count: int = Field(3, ge=0, le=10, description="Related policies listed with an answer or a refusal.")
    conversation_max_turns: int = Field(10, ge=1, description="Turns kept per conversation for follow-up questions.")
    conversation_max_count: int = Field(10000, ge=1, description="Conversations kept; the least recently used are dropped beyond this.")
    session_lifetime_hours: int = Field(8, ge=1, description="Hours a login stays valid; the session cookie expires then. A session also ends on signing out and when the account's password or role changes or it is disabled.")
    session_cookie_secure: str = Field("auto", pattern="^(auto|always|never)$", description="Secure flag of the session cookie: `auto` (when the request came over HTTPS), `always` (behind a TLS-terminating proxy) or `never`.")
    rate_limit_ask_per_minute: int = Field(30, ge=0, description="Questions (/api/ask, /api/ask/stream, /ask) one client IP may ask per minute (burst up to this, then the steady rate); 0 turns the limit off.")
    rate_limit_feedback_per_minute: int = Field(10, ge=0, description="Ratings (POST /api/feedback) one client IP may send per minute (burst up to this, then the steady rate); 0 turns the limit off.")
    rate_limit_login_per_minute: int = Field(10, ge=0, description="Login attempts one client IP may make per minute; 0 turns the limit off.")
    rate_limit_login_per_account_per_minute: int = Field(5, ge=0, description="Failed login attempts per user name per minute, from all addresses together (burst up to this, then the steady rate); 0 turns the limit off.")
    push: PushSettings = Field(
        default_factory=PushSettings,
        description="Targeted push: database, webhook, SMTP and worker settings (`POLICYKB_PUSH__<NAME>`).",
    )

    @field_validator("display_timezone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"未知的时区“{value}”，请填写 IANA 时区名，如 Asia/Shanghai") from None
        return value

    @model_validator(mode="after")
    def _push_data_lives_in_the_data_dir(self) -> Settings:
        self.push.data_dir = self.data_dir
        return self

    @property
    def index_path(self) -> Path:
        return self.data_dir / "index.sqlite3"

    @property
    def conversations_path(self) -> Path:
        return self.data_dir / "conversations.sqlite3"

    @property
    def originals_dir(self) -> Path:
        return self.data_dir / "originals"

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024


def load_settings(**overrides: Any) -> Settings:
    """Build the settings once: environment, then ``.env``, then defaults; ``overrides`` win over all (validated
    and converted like the environment's strings)."""
    return Settings(**overrides)
