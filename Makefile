# oic-book: `make book` builds dist/oic-book.{pdf,epub} and the web edition dist/site/;
# `make test` runs the suite; `make preview` serves a live preview while you write.
# Both create the virtualenv in .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DIST   := dist

# What the book is made from, as one line: the name, size and time of every file under
# manuscript/, styles/ and src/. Any change, new file, deletion or rename changes it.
# make's own prerequisite lists cannot hold file names with spaces or colons, which an
# author may use ("images/карта 1.png"), so the state is compared in the recipe instead.
SOURCES_STATE = $(shell find pyproject.toml manuscript styles src \( -name __pycache__ -o -name '*.egg-info' \) -prune -o -printf '%p %s %T@\n' 2>/dev/null | LC_ALL=C sort | cksum)
OUTPUTS := $(DIST)/oic-book.pdf $(DIST)/oic-book.epub $(DIST)/site/index.html
# The state of the last successful build; written only after it, so a failed build is
# tried again.
BUILT  := $(VENV)/.built-sources

.PHONY: book site preview test check spell editorial bench calibre ace clean patterns fuzz

# The three editions are made by one build: the web edition takes the print edition's page
# numbers from its layout. `make site` is the same target, by the name of its third output.
book site: $(VENV)/.installed
	@state="$(SOURCES_STATE)"; \
	if [ "$$(cat $(BUILT) 2>/dev/null)" = "$$state" ] && ls $(OUTPUTS) >/dev/null 2>&1; then \
	  echo "make: the book is up to date ($(OUTPUTS))"; \
	else \
	  $(BIN)/oic-book build --strict && echo "$$state" > $(BUILT); \
	fi

# Live preview on http://127.0.0.1:8000/ (PORT=… to change); Ctrl-C stops it.
PORT ?= 8000
preview: $(VENV)/.installed
	$(BIN)/oic-book serve --port $(PORT)

check: $(VENV)/.installed
	$(BIN)/oic-book check --strict

spell: $(VENV)/.installed
	$(BIN)/oic-book check --spell --strict

# The 2026 edition's editorial rules over every file (tests/editorial): sources in every
# note, the house typing, index marks, spelling. Not part of `make test`: a new chapter
# that builds passes the builder's tests before its editorial pass.
editorial: $(VENV)/.installed-test
	@sh tests/tools.sh
	$(BIN)/python -m pytest -q tests/editorial

test: $(VENV)/.installed-test
	@sh tests/tools.sh
	$(BIN)/python -m pytest -q

# The EPUB through calibre (Debian package, not installed by make test): AZW3 and PDF
# conversion without warnings, one cover page, no blank page, calibre's "Check book".
calibre: $(VENV)/.installed-test book
	$(BIN)/python tests/calibre.py $(DIST)/oic-book.epub

# DAISY Ace (npm @daisy/ace-cli, Node.js needed) on the EPUB: no accessibility violation.
ace: book
	sh tests/ace.sh $(DIST)/oic-book.epub

# The structural fuzzer at length (tests/test_structural_fuzz.py): 2,000 manuscripts,
# 40 of them built and searched for every word written. `make test` runs 25 and builds 3.
fuzz: $(VENV)/.installed-test
	OIC_FUZZ_EXAMPLES=2000 OIC_FUZZ_BUILDS=40 $(BIN)/python -m pytest -q -p no:cacheprovider \
		tests/test_structural_fuzz.py tests/test_fuzz.py --hypothesis-show-statistics

bench: $(VENV)/.installed-test
	$(BIN)/python tests/bench/run.py
	$(BIN)/python tests/bench/preview.py

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
