# OneNet: `make run` runs the whole network here; `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)

# The front-end teams' tools the suite runs (tests/node.py), installed from their locks when npm is here.
NPM        := $(shell command -v npm)
NODE_TOOLS := $(if $(NPM),tests/toolchain/node_modules/.installed clients/typescript/node_modules/.installed)

.PHONY: run test faults mutation token bench prepare clean

$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

run: $(STAMP)  ## every service and the gateway, with demo data, in the foreground (DEMO=large: a larger set, for benchmarks)
	@infra/local-services.sh
	$(PY) -m infra.network run $(if $(DEMO),--demo $(DEMO))

%/node_modules/.installed: %/package-lock.json %/package.json
	cd $* && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed

test: $(STAMP) $(NODE_TOOLS)  ## the whole suite: unit, integration and end-to-end (real RabbitMQ and PostgreSQL)
	@infra/local-services.sh
	$(PY) -m pytest $(PYTEST_ARGS)

faults: $(STAMP)  ## the network under SIGKILLs and broker and database restarts; counts lost/duplicated work (private servers)
	$(PY) -m tests.faults $(FAULTS_ARGS)

mutation: $(STAMP)  ## mutation testing of the rules and auth checks: make mutation [TARGETS="lifecycle auth"] [MUTATION_ARGS=--stale]
	$(PY) -m tests.mutation $(MUTATION_ARGS) $(TARGETS)

prepare: $(STAMP)  ## database, schemas, migrations and broker topology only
	@infra/local-services.sh
	$(PY) -m infra.network prepare

token: $(STAMP)  ## make token ROLE=county_admin REGION=110105 (or AGENCY_ID=, USCC=, PROVINCE=, LEAD_FIRM_ID=)
	@$(PY) -m gateway.tokens --role "$(ROLE)" \
	  $(if $(REGION),--region $(REGION)) $(if $(AGENCY_ID),--agency-id $(AGENCY_ID)) \
	  $(if $(USCC),--uscc $(USCC)) $(if $(PROVINCE),--province $(PROVINCE)) \
	  $(if $(LEAD_FIRM_ID),--lead-firm-id $(LEAD_FIRM_ID))

bench: $(STAMP)  ## benchmarks in bench/, each printing its figures and a same-run baseline
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache tests/toolchain/node_modules clients/typescript/node_modules
