# Two commands: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DB_URL ?= sqlite:///var/chargeledger.sqlite3

.PHONY: run test install demo bench clean

$(STAMP): pyproject.toml package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	npm ci --no-audit --no-fund --silent  # chart library for the web pages, served from node_modules
	touch $(STAMP)

install: $(STAMP)

# Sets up the embedded SQLite database under ./var, loads the demo operator once, and serves HTTP :8000 + OCPP :9000.
run: $(STAMP)
	mkdir -p var
	CHARGELEDGER_DATABASE_URL=$${CHARGELEDGER_DATABASE_URL:-$(DB_URL)} $(BIN)/chargeledger db upgrade
	CHARGELEDGER_DATABASE_URL=$${CHARGELEDGER_DATABASE_URL:-$(DB_URL)} $(BIN)/chargeledger demo load --if-empty
	CHARGELEDGER_DATABASE_URL=$${CHARGELEDGER_DATABASE_URL:-$(DB_URL)} $(BIN)/chargeledger serve --simulate

# The extrawest-ocpi eMSP the OCPI tests run against, in its own venv under $(VENV)/peers (it pins pydantic 1):
# a test-only part, so `make run` neither waits for it nor needs it.
PEERS := $(VENV)/.peers-installed
$(PEERS): $(STAMP) tests/ocpi_live/extrawest/requirements.txt
	$(BIN)/python -m tests.ocpi_live.extrawest.venv
	touch $(PEERS)

test: $(STAMP) $(PEERS)
	$(BIN)/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/store.py --sessions 100000
	$(BIN)/python bench/pricing.py --max 100000

clean:
	rm -rf $(VENV) var build *.egg-info
