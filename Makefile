# blockradar: `make crawl` sets up and crawls the default sources; `make test` sets up and runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUTPUT ?= output

.PHONY: setup crawl demo test lint clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,distributed]'
	# Bytecode of our own modules now, as pip does for installed packages: a crawl started where
	# PYTHONDONTWRITEBYTECODE is set (containers often set it) would otherwise compile them at every start.
	$(BIN)/python -m compileall -q crawler spiders pipelines
	touch $@

setup: $(BIN)/.installed

crawl: setup
	mkdir -p $(OUTPUT)
	$(BIN)/scrapy crawl news -O $(OUTPUT)/articles.jsonl

demo: setup
	$(BIN)/blockradar demo --output $(OUTPUT)/demo

test: setup
	@command -v redis-server >/dev/null || { echo "redis-server is missing: installing it (apt-get)"; \
		apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; }
	@command -v chromium >/dev/null || { echo "chromium is missing: installing it (apt-get)"; \
		apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; }
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check crawler spiders pipelines tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(OUTPUT) .pytest_cache
