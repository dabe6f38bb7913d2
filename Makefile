# fastconv developer entry points. Everything runs inside ./.venv, which these targets create
# and fill from the package registries, so a fresh machine needs only Python 3, a C++ compiler
# and network access to PyPI.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
DEPS   := $(VENV)/.deps-installed
BUILT  := $(VENV)/.fastconv-installed
SOURCES := $(shell find src python -type f \( -name '*.cpp' -o -name '*.h' -o -name '*.py' -o -name '*.pyi' \) 2>/dev/null) CMakeLists.txt pyproject.toml

.PHONY: all demo test test-fast test-fuzz test-sanitize bench bench-native install clean

all: install

$(PY):
	$(PYTHON) -m venv $(VENV)

# Build tools go into the venv explicitly because the package is built without isolation
# (so rebuilds are incremental in ./build); cmake and ninja come from PyPI wheels.
$(DEPS): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "scikit-build-core>=0.10" "pybind11>=2.12" cmake ninja \
	    numpy "pytest>=7" "hypothesis>=6.80" threadpoolctl scipy tqdm matplotlib
	touch $@

# Editable install: Python files are used from python/fastconv, the C++ extension is rebuilt
# incrementally in build/ whenever a source changed.
$(BUILT): $(DEPS) $(SOURCES)
	$(PY) -m pip install --quiet --no-build-isolation -e ".[test]"
	touch $@

install: $(BUILT)

# The demo trains the lab CNN for one epoch on 6,000 MNIST images. The data come from
# $FASTCONV_DATA when set, else from ../shared/data when this checkout sits in the project
# workspace, else from the loader's standard search (which downloads MNIST once).
ifeq ($(origin FASTCONV_DATA),undefined)
ifneq ($(wildcard ../shared/data/mnist),)
export FASTCONV_DATA := $(abspath ../shared/data)
endif
endif

demo: install
	$(PY) -m fastconv train --model lab_cnn --dataset mnist --epochs 1 --limit 6000 \
	    --out runs/demo --no-resume

test: install
	$(PY) -m pytest -q

bench: install
	$(PY) bench/bench_gemm.py

bench-native:
	cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release -DFASTCONV_BUILD_PYTHON=OFF -DFASTCONV_BUILD_BENCH=ON
	cmake --build build/native -j 2
	./build/native/fastconv_bench

# Property-based fuzzing of every public op at the Python boundary with >= 1,000 generated cases
# per op (the normal suite runs the same tests with 30 cases each).
test-fuzz: install
	FASTCONV_FUZZ_EXAMPLES=1000 $(PY) -m pytest -q -p no:cacheprovider tests/fuzz

# The whole suite on an AddressSanitizer + UndefinedBehaviorSanitizer build of the extension,
# kept apart from the normal build: its own venv (.venv-asan) and CMake tree (build/asan).
# tools/sanitize.sh preloads the ASan runtime into Python and fails on any report or on a leak
# allocated by fastconv code.
ASAN_VENV  ?= .venv-asan
ASAN_PY    := $(ASAN_VENV)/bin/python
ASAN_DEPS  := $(ASAN_VENV)/.deps-installed
ASAN_BUILT := $(ASAN_VENV)/.fastconv-installed

$(ASAN_PY):
	$(PYTHON) -m venv $(ASAN_VENV)

$(ASAN_DEPS): pyproject.toml | $(ASAN_PY)
	$(ASAN_PY) -m pip install --quiet --upgrade pip
	$(ASAN_PY) -m pip install --quiet "scikit-build-core>=0.10" "pybind11>=2.12" cmake ninja \
	    numpy "pytest>=7" "hypothesis>=6.80" threadpoolctl scipy
	touch $@

$(ASAN_BUILT): $(ASAN_DEPS) $(SOURCES)
	$(ASAN_PY) -m pip install --quiet --no-build-isolation \
	    --config-settings=build-dir=build/asan \
	    --config-settings=cmake.build-type=RelWithDebInfo \
	    --config-settings=cmake.define.FASTCONV_SANITIZE=ON -e ".[test]"
	touch $@

test-sanitize: $(ASAN_BUILT)
	tools/sanitize.sh $(ASAN_PY)

clean:
	rm -rf build $(VENV) $(ASAN_VENV) .pytest_cache .hypothesis
