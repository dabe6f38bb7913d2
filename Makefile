# fastconv developer entry points. Everything runs inside ./.venv, which these targets create
# and fill from the package registries, so a fresh machine needs only Python 3, a C++ compiler
# and network access to PyPI.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
DEPS   := $(VENV)/.deps-installed
BUILT  := $(VENV)/.fastconv-installed
SOURCES := $(shell find src python -type f \( -name '*.cpp' -o -name '*.h' -o -name '*.py' -o -name '*.pyi' \) 2>/dev/null) CMakeLists.txt pyproject.toml

.PHONY: all demo test test-fast bench bench-native install clean

all: install

$(PY):
	$(PYTHON) -m venv $(VENV)

# Build tools go into the venv explicitly because the package is built without isolation
# (so rebuilds are incremental in ./build); cmake and ninja come from PyPI wheels.
$(DEPS): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "scikit-build-core>=0.10" "pybind11>=2.12" cmake ninja \
	    numpy "pytest>=7" "hypothesis>=6.80" threadpoolctl scipy tqdm
	touch $@

# Editable install: Python files are used from python/fastconv, the C++ extension is rebuilt
# incrementally in build/ whenever a source changed.
$(BUILT): $(DEPS) $(SOURCES)
	$(PY) -m pip install --quiet --no-build-isolation -e ".[test]"
	touch $@

install: $(BUILT)

demo: install
	$(PY) bench/bench_gemm.py --quick

test: install
	$(PY) -m pytest -q

bench: install
	$(PY) bench/bench_gemm.py

bench-native:
	cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release -DFASTCONV_BUILD_PYTHON=OFF -DFASTCONV_BUILD_BENCH=ON
	cmake --build build/native -j 2
	./build/native/fastconv_bench

clean:
	rm -rf build $(VENV) .pytest_cache .hypothesis
