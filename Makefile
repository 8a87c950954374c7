# oic-book: `make book` builds dist/oic-book.{pdf,epub}; `make test` runs the suite.
# Both create the virtualenv in .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DIST   := dist

# Everything the book is made from. A change to any of these rebuilds; nothing else does.
# The folders are listed too: deleting or renaming a file changes its folder's time.
SOURCES := pyproject.toml \
	$(shell find manuscript styles src -type f ! -name '*.pyc' ! -path '*/__pycache__/*' ! -path '*.egg-info/*' 2>/dev/null | LC_ALL=C sort) \
	$(shell find manuscript styles src/oic_book -type d ! -name __pycache__ 2>/dev/null | LC_ALL=C sort)

.PHONY: book test check spell bench clean patterns

book: $(DIST)/oic-book.pdf $(DIST)/oic-book.epub

$(DIST)/oic-book.pdf $(DIST)/oic-book.epub &: $(VENV)/.installed $(SOURCES)
	$(BIN)/oic-book build --strict

check: $(VENV)/.installed
	$(BIN)/oic-book check --strict

spell: $(VENV)/.installed
	$(BIN)/oic-book check --spell --strict

test: $(VENV)/.installed-test
	@sh tests/tools.sh
	$(BIN)/python -m pytest -q

bench: $(VENV)/.installed-test
	$(BIN)/python bench/run.py

patterns: $(VENV)/.installed
	$(BIN)/python -m oic_book.kazakh.hyphenation --write

# A virtualenv left half-made (an interrupted first run, a Python that has gone) is made
# anew: without a working python and pip in it, its stamps no longer count.
ifneq ($(shell test -x $(BIN)/python -a -x $(BIN)/pip && $(BIN)/python -c "" 2>/dev/null && echo ok),ok)
$(shell rm -f $(VENV)/.installed $(VENV)/.installed-test)
endif

$(VENV)/.installed: pyproject.toml
	@$(BIN)/python -m pip --version >/dev/null 2>&1 || { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

clean:
	rm -rf $(DIST) $(VENV) src/*.egg-info
