# o2c — two commands on a fresh machine:
#   make run    the app (web + worker + beat) with demo data on http://127.0.0.1:8000
#   make test   the whole suite (unit, integration, browser)
# Embedded PostgreSQL/Redis are started unless DATABASE_URL / REDIS_URL are set.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
UV := var/tools/bin/uv
UV_VERSION := 0.13.9
export PATH := $(BIN):$(PATH)
export UV_PYTHON_DOWNLOADS := never
EMBEDDED := $(BIN)/python -m o2c.embedded run --
APT_PACKAGES := chromium fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils

.PHONY: run test install system-deps lint lock bench clean check-deploy

run: install
	$(EMBEDDED) bash -c 'set -e; \
	  python manage.py migrate --noinput; \
	  python manage.py load_demo; \
	  python manage.py setup_periodic_tasks; \
	  echo "o2c: http://127.0.0.1:8000/  (Ctrl-C stops web, worker and beat)"; \
	  exec honcho start -f Procfile'

test: install system-deps
	$(BIN)/ruff check .
	$(EMBEDDED) $(BIN)/pytest $(ARGS)

install: $(VENV)/.installed node_modules/.installed

$(UV):
	$(PYTHON) -m venv var/tools
	var/tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: requirements-dev.lock $(UV)
	test -x $(BIN)/python || $(UV) venv --python $(PYTHON) $(VENV)
	$(UV) pip sync --python $(BIN)/python requirements-dev.lock
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian packages the suite needs: Chromium for the browser tests, Pango for WeasyPrint,
# poppler-utils to turn PDFs into PNGs. Installed only when missing and only as root.
system-deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else echo "missing Debian packages (install as root): $$missing"; exit 1; fi; \
	fi

lint: install
	$(BIN)/ruff check .

lock: $(UV)
	$(UV) pip compile pyproject.toml --python-version 3.11 --generate-hashes --quiet -o requirements.lock
	$(UV) pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes --quiet -o requirements-dev.lock

bench: install
	$(EMBEDDED) bash -c 'for b in bench/[!_]*.py; do echo "== $$b"; python $$b || exit 1; done'

check-deploy: install
	DJANGO_SETTINGS_MODULE=o2c.settings.production SECRET_KEY=$$(python -c 'import secrets;print(secrets.token_urlsafe(50))') \
	  ALLOWED_HOSTS=o2c.example.com $(BIN)/python manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) var/tools node_modules var/static
