# Two entry points (see README): `make demo` and `make test`.
# The environment is built once in .venv and rebuilt only when the
# requirements or setup.py change.
PYTHON ?= python3
# test processes (pytest-xdist, whole files per process): the machine's
# cores, at most 4 (each holds torch and a tiny training)
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ $$n -gt 4 ] && n=4; echo $$n)
VENV ?= .venv
STAMP := $(VENV)/.installed
BIN := $(VENV)/bin

.PHONY: env test lint demo clean-env

env: $(STAMP)

$(STAMP): requirements/runtime.txt requirements/tests.txt setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch and torchvision in one command: a matching pair (docs/install.md)
	$(BIN)/pip install -r requirements/runtime.txt -r requirements/tests.txt
	# 20 real CIFAR-100/10 and ImageNet test images for the data tests
	$(BIN)/pip install --no-deps foolbox==3.3.4
	# `mim train vrm_mm ...` (requirements/tests.txt says why --no-deps)
	$(BIN)/pip install --no-deps openmim==0.3.9
	$(BIN)/pip install --no-deps --no-build-isolation -e .
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .

test: lint
	@# after a crash of pytest itself, name the test it was running
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile || { status=$$?; \
		test ! -f .pytest_current_test || echo "pytest exited $$status during $$(cat .pytest_current_test)"; \
		exit $$status; }

demo: $(STAMP)
	$(BIN)/python tools/demo.py

clean-env:
	rm -rf $(VENV)
