# srccrit: `make demo` runs the main job on the bundled case; `make test` runs the whole suite.
# Both create .venv and install the project into it when needed.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
CASE   ?= data/sino-soviet-korea

.PHONY: demo test venv system-deps notebooks bench screenshots clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Debian packages the tests drive for real: biber (biblatex validation) and chromium (browser tests).
system-deps:
	@bash scripts/system-deps.sh

demo: $(STAMP)
	$(VENV)/bin/srccrit report $(CASE) -o out

test: $(STAMP) system-deps
	$(PY) -m pytest -q

notebooks: $(STAMP)
	$(VENV)/bin/srccrit notebook $(CASE) -o notebooks

screenshots: $(STAMP) system-deps
	$(PY) scripts/screenshots.py

bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[test,bench]'
	$(PY) benchmarks/run.py --quick
	$(PY) benchmarks/realdata/run.py

clean:
	rm -rf $(VENV) .venv-td out .pytest_cache
