# The two set-up commands of the README: `make book` and `make test`.
# Each creates the pinned virtual environment in .venv on first use.
VENV ?= .venv
PYTHON := $(VENV)/bin/python

MATHJAX := 3.2.2
# MathJax 3, copied from the npm registry into the built site's root (html_extra_path), so that
# pages render their maths with no network. Not into _static: Jupyter Book puts a script tag for
# every .js file there on every page (about 35 MathJax bundles and parts).
MATHJAX_JS := _mathjax/mathjax/tex-chtml.js

.PHONY: book book-without-solutions test

# --no-compile: Python byte-compiles only the modules it imports, on first import (saves about 45 CPU-seconds)
$(VENV)/.installed: requirements.txt pyproject.toml
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet --no-compile -r requirements.txt
	$(PYTHON) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(MATHJAX_JS):
	rm -rf _mathjax && mkdir -p _mathjax/mathjax
	cd _mathjax && npm pack --silent --loglevel=error mathjax@$(MATHJAX) \
		&& tar xzf mathjax-$(MATHJAX).tgz -C mathjax --strip-components=2 package/es5 \
		&& rm mathjax-$(MATHJAX).tgz
	test -f $@

# every notebook is executed afresh (the cache of an earlier build is emptied first), two at a time
book: $(VENV)/.installed $(MATHJAX_JS)
	rm -rf _build/.jupyter_cache
	HF_HUB_OFFLINE=1 $(PYTHON) _ext/execute_notebooks.py
	HF_HUB_OFFLINE=1 $(VENV)/bin/jupyter-book build . -W -n --keep-going

# the same book without the exercises' solutions (for courses that set them), in _build/without-solutions
book-without-solutions: $(VENV)/.installed $(MATHJAX_JS)
	HF_HUB_OFFLINE=1 $(PYTHON) _ext/execute_notebooks.py
	IDEMLAB_SOLUTIONS=hide HF_HUB_OFFLINE=1 $(VENV)/bin/jupyter-book build . -W -n --keep-going \
		--path-output _build/without-solutions

# unit tests first (a failure stops here), then every notebook through nbval;
# `$(PYTHON) -m pytest tests -m "not slow"` is the quick set for development (about a minute)
test: $(VENV)/.installed
	HF_HUB_OFFLINE=1 $(PYTHON) -m pytest tests
	HF_HUB_OFFLINE=1 $(PYTHON) -m pytest notebooks
