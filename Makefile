# The README's two commands: `make run` and `make test`. Both set up .venv themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
# The installer is built from a venv of its own that holds exactly what the app runs
# with (pyproject's dependencies, no TensorFlow, no test tools) plus PyInstaller.
PKG_VENV := .venv-package
PKG_STAMP := $(PKG_VENV)/.installed

.PHONY: run test lint bench package clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

# The tests cover training too: the "train" extra (TensorFlow) comes with them.
$(TEST_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test,train]'
	touch $@ $(RUN_STAMP)

$(PKG_STAMP): pyproject.toml
	$(PYTHON) -m venv $(PKG_VENV)
	$(PKG_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PKG_VENV)/bin/python -m pip install --quiet -e '.[package]'
	touch $@

## run: set up and start the program (the window with the bundled sample; headless: the demo table)
## (no TensorFlow: the viewer and the shipped RWNet do without; `medcomp train` needs '.[train]')
## On a desktop it first checks Qt's system libraries and prints the apt-get line if one is missing.
run: $(RUN_STAMP)
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ] || [ "$$QT_QPA_PLATFORM" = offscreen ] && [ -f medcomp_gui/gui/app.py ]; then \
		$(PY) -m medcomp_gui.gui.system_libs && $(VENV)/bin/medcomp-gui resources/sample_mr.dcm; \
	else \
		echo "no display: printing the codec comparison on the bundled sample instead"; \
		$(VENV)/bin/medcomp demo; \
	fi

## test: set up (with the test extras) and run the whole suite, import contracts included
test: $(TEST_STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check medcomp_gui tests benchmarks packaging
	$(VENV)/bin/lint-imports

bench: $(TEST_STAMP)
	$(PY) -m pip install --quiet -e '.[bench,train]'
	bash benchmarks/compare_wg04.sh
	# ANLM benchmark: needs Debian's brain templates (apt-get install mricron-data)
	$(PY) benchmarks/denoise.py
	# batch throughput against GDCM: needs gdcmconv (apt-get install libgdcm-tools)
	$(PY) benchmarks/batch.py --repeat 3

## package: the installed app (dist/medcomp/, PyInstaller) and its Debian package
## (dist/medcomp_VERSION_ARCH.deb); see packaging/README.md. Needs dpkg-deb, binutils and
## Qt's system libraries (the .deb depends on them; the check names what to install).
package: $(PKG_STAMP)
	QT_QPA_PLATFORM=xcb $(PKG_VENV)/bin/python -m medcomp_gui.gui.system_libs
	$(PKG_VENV)/bin/pyinstaller --noconfirm --clean packaging/medcomp.spec
	$(PKG_VENV)/bin/python packaging/build_deb.py

clean:
	rm -rf $(VENV) $(PKG_VENV) build dist *.egg-info
