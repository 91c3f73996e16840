# The README's two commands: `make run` and `make test`. Both set up .venv themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint bench package clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@ $(RUN_STAMP)

## run: set up and start the program (the window with the bundled sample; headless: the demo table)
run: $(RUN_STAMP)
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ] || [ "$$QT_QPA_PLATFORM" = offscreen ] && [ -f medcomp_gui/gui/app.py ]; then \
		$(VENV)/bin/medcomp-gui resources/sample_mr.dcm; \
	else \
		echo "no display: printing the codec comparison on the bundled sample instead"; \
		$(VENV)/bin/medcomp demo; \
	fi

## test: set up (with the test extras) and run the whole suite, import contracts included
test: $(TEST_STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check medcomp_gui tests benchmarks
	$(VENV)/bin/lint-imports

bench: $(TEST_STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	bash benchmarks/compare_wg04.sh
	# ANLM benchmark: needs Debian's brain templates (apt-get install mricron-data)
	$(PY) benchmarks/denoise.py
	# batch throughput against GDCM: needs gdcmconv (apt-get install libgdcm-tools)
	$(PY) benchmarks/batch.py --repeat 3

package: $(RUN_STAMP)
	$(PY) -m pip install --quiet -e '.[package]'
	$(VENV)/bin/pyinstaller --noconfirm packaging/medcomp.spec

clean:
	rm -rf $(VENV) build dist *.egg-info
