# Handoff: `make demo` runs it, `make test` proves it. Both create .venv and install requirements.txt first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
export DJANGO_SETTINGS_MODULE := config.settings

.PHONY: install demo test fuzz lint fmt bench clean

$(VENV)/.installed: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

install: $(VENV)/.installed

# The demo: SQLite, the in-memory channel layer and huey on SQLite; web server (daphne: HTTP and websockets) and
# the huey worker side by side (manage.py rundemo). Ctrl-C stops both.
demo: export DEBUG := 1
demo: export SECURE_COOKIES := 0
demo: export ALLOWED_HOSTS := 127.0.0.1,localhost
demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py rundemo

test: export SECRET_KEY ?= handoff-tests-only-not-secret
test: export DEBUG := 0
test: install lint
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest

# The hypothesis fuzz of every form and JSON endpoint (tests/security/test_fuzz.py) at full size: 107,000 requests
# where `make test` asks ~10,000; FUZZ_EXAMPLES sets the total. Spread over both cores, one test per worker at a time.
fuzz: export SECRET_KEY ?= handoff-tests-only-not-secret
fuzz: export DEBUG := 0
fuzz: export FUZZ_EXAMPLES ?= 107000
fuzz: install
	$(PY) -m pytest tests/security/test_fuzz.py -n 2 --dist load

# Production settings on loopback, 1,000 and 100,000 referrals; writes bench/results.json and bench/RESULTS.md.
# PostgreSQL + Redis when DATABASE_URL and REDIS_URL are set (it creates its own handoff_bench database).
bench: install
	$(PY) bench/run.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) var
