# movie-sentiment: one set of C sources, built natively (CLI, trainer, tests, benchmarks) and to
# WebAssembly (the page). `make help` lists the targets.

SHELL := /bin/bash
.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
# Objects are intermediate files of pattern chains; keep them so rebuilds stay incremental.
.SECONDARY:
# Build in parallel on every core unless the caller chose (-jN, or -j1 to read errors in order).
ifeq ($(filter -j%,$(MAKEFLAGS)),)
MAKEFLAGS += -j$(shell nproc)
endif

CC ?= cc
EMCC ?= emcc
# Debian's emcc finds acorn only through NODE_PATH.
export NODE_PATH := /usr/share/nodejs

# Paths a user may override. SHARED holds the IMDb data and reference vocab (CI has it; a user's
# machine usually does not, and tests that need it say so when they skip).
SHARED ?= ../shared
DATA ?= $(SHARED)/data/imdb
MODEL ?= weights/sentiment.smf
PORT ?= 8000
PREFIX ?= /usr/local
BUILD := build

# --- sources -----------------------------------------------------------------------------------
# src/engine/ is exactly what the wasm module and the C library contain; everything else is
# native-only (tools, CLI, trainer) or wasm-only (exports). utf8proc.c #includes
# utf8proc_data.c, so only the former is compiled.
THIRD_PARTY_SRC := src/third_party/cjson/cJSON.c src/third_party/utf8proc/utf8proc.c
ENGINE_SRC := $(sort $(wildcard src/engine/*.c))
KERNEL_SRC := $(filter src/engine/kernels%.c src/engine/util.c,$(ENGINE_SRC))
TOOLS_SRC := $(sort $(wildcard src/tools/*.c))
CLI_SRC := $(sort $(wildcard src/cli/*.c))
TRAIN_SRC := $(sort $(wildcard src/train/*.c))
WASM_SRC := $(sort $(wildcard src/wasm/*.c))
UNIT_TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_TEST_SUPPORT_SRC := $(filter-out $(UNIT_TEST_SRC),$(sort $(wildcard tests/unit/*.c)))
# The CLI files a unit test or fuzz target reaches (no main, no engine state): src/cli/csv.c for
# test_csv and fuzz_csv.
UNIT_TEST_CLI_SRC := src/cli/csv.c

# --- flags -------------------------------------------------------------------------------------
# Engine headers are included by bare name; native code reaches tools/ and train/ through -Isrc.
# The wasm build sees the engine and third-party headers only, so nothing else can creep in.
THIRD_PARTY_INCLUDES := -Isrc/third_party/cjson -Isrc/third_party/utf8proc
INCLUDES := -Isrc -Isrc/engine $(THIRD_PARTY_INCLUDES)
WASM_INCLUDES := -Isrc/engine $(THIRD_PARTY_INCLUDES)
DEFINES := -DUTF8PROC_STATIC -D_GNU_SOURCE
WARNINGS := -Wall -Wextra -Wshadow -Wno-unused-parameter -Werror=implicit-function-declaration
# Third-party code is compiled as shipped; our warnings policy applies to our code only.
THIRD_PARTY_CFLAGS := -w

NATIVE_CFLAGS := -std=c11 -O3 -march=native -fopenmp -MMD -MP $(INCLUDES) $(DEFINES)
NATIVE_LDLIBS := -fopenmp -lopenblas -lz -lm
# Unit tests: sanitizers on, optimisation low enough for good reports. SENT_SIMDE_WASM builds the
# wasm SIMD128 kernels natively through libsimde so they are tested against the reference.
TEST_CFLAGS := -std=c11 -O1 -g -march=native -fopenmp -fsanitize=address,undefined \
	-fno-omit-frame-pointer -fno-sanitize-recover=undefined -MMD -MP $(INCLUDES) $(DEFINES) -Itests/unit \
	-DSENT_SIMDE_WASM
TEST_LDLIBS := -fsanitize=address,undefined $(NATIVE_LDLIBS)

WASM_CFLAGS := -std=c11 -O3 -msimd128 -MMD -MP $(WASM_INCLUDES) $(DEFINES)
WASM_LDFLAGS := -O3 -msimd128 -sMODULARIZE=1 -sEXPORT_ES6=1 -sEXPORT_NAME=createSentimentModule \
	-sENVIRONMENT=web,worker,node -sALLOW_MEMORY_GROWTH=1 -sFILESYSTEM=0 \
	-sEXPORTED_RUNTIME_METHODS='["UTF8ToString","stringToUTF8","lengthBytesUTF8","HEAPU8","HEAP32","HEAPF32"]' \
	-sEXPORTED_FUNCTIONS='["_malloc","_free"]'

# --- object lists ------------------------------------------------------------------------------
objs = $(patsubst %.c,$(BUILD)/$(1)/%.o,$(2))
NATIVE_LIB_OBJ := $(call objs,native,$(ENGINE_SRC) $(TOOLS_SRC)) $(call objs,native,$(THIRD_PARTY_SRC))
NATIVE_CLI_OBJ := $(call objs,native,$(CLI_SRC) $(TRAIN_SRC))
ASAN_LIB_OBJ := $(call objs,asan,$(ENGINE_SRC) $(TOOLS_SRC) $(TRAIN_SRC)) $(call objs,asan,$(THIRD_PARTY_SRC))
ASAN_SUPPORT_OBJ := $(call objs,asan,$(UNIT_TEST_SUPPORT_SRC))
ASAN_CLI_OBJ := $(call objs,asan,$(UNIT_TEST_CLI_SRC))
WASM_OBJ := $(call objs,wasm,$(ENGINE_SRC) $(WASM_SRC)) $(call objs,wasm,$(THIRD_PARTY_SRC))
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_TEST_SRC))

WASM_JS := $(BUILD)/wasm/sentiment.mjs
# The second module: the same sources with pthreads (shared memory, SIMD128), which the page runs
# when it is cross-origin isolated (web/lib/engine.js picks). WASM_MAX_THREADS caps one engine's
# threads: the pthread workers are started with the module (PTHREAD_POOL_SIZE, the caller is the
# last thread), because a worker started later needs an event-loop turn that a forward pass
# waiting for it never gives; POOL_SIZE_STRICT=2 makes asking for more an error, not a hang.
WASM_MAX_THREADS := 4
WASM_THREADS_CFLAGS := $(WASM_CFLAGS) -pthread -DSENT_WASM_MAX_THREADS=$(WASM_MAX_THREADS)
WASM_THREADS_LDFLAGS := $(WASM_LDFLAGS) -pthread -sPTHREAD_POOL_SIZE=$(shell echo $$(($(WASM_MAX_THREADS) - 1))) \
	-sPTHREAD_POOL_SIZE_STRICT=2
WASM_THREADS_OBJ := $(call objs,wasm-threads,$(ENGINE_SRC) $(WASM_SRC)) $(call objs,wasm-threads,$(THIRD_PARTY_SRC))
WASM_THREADS_JS := $(BUILD)/wasm-threads/sentiment-threads.mjs

.PHONY: all help lib install web npm wasm serve run setup test unit-tests fuzz fuzz-build valgrind valgrind-build tsan-build engine-tools kernels-wasm bench bench-kernels-wasm clean
all: $(BUILD)/sentiment

help:
	@echo "make            build the native CLI ($(BUILD)/sentiment)"
	@echo "make lib        build the C library: $(BUILD)/lib/libsentiment.{a,so} (engine only)"
	@echo "make install    install the CLI, header, libraries, sentiment.pc and the model under PREFIX=$(PREFIX)"
	@echo "make web        build the static site into $(BUILD)/web/ (wasm + page + model)"
	@echo "make npm        build the npm package into $(BUILD)/npm/ (ES module, types, wasm, model)"
	@echo "make serve      serve $(BUILD)/web on http://127.0.0.1:$(PORT) with COOP/COEP headers"
	@echo "make run        setup if needed, build, serve"
	@echo "make test       run every test (unit, parity, wasm, browser)"
	@echo "make bench      run the benchmarks (prints numbers; not a test)"
	@echo "make fuzz       build the libFuzzer targets (clang) and run each FUZZ_SECONDS=$(FUZZ_SECONDS) s on its seeds"
	@echo "make valgrind   the unit tests built without sanitizers, each run under valgrind"

# --- native ------------------------------------------------------------------------------------
$(BUILD)/native/src/third_party/%.o: src/third_party/%.c
	@mkdir -p $(@D)
	$(CC) $(NATIVE_CFLAGS) $(THIRD_PARTY_CFLAGS) -c $< -o $@

$(BUILD)/native/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(NATIVE_CFLAGS) $(WARNINGS) -c $< -o $@

# GCC's partial-redundancy elimination makes the int8 tiles' hot loops copy their accumulators
# between registers every step (33 vmovdqa beside 12 vpdpbusd); without it the loop is the 12
# multiply-adds and their loads, and the int8 GEMM runs 15-30 % faster (docs/engine.md, "One
# scale per row"). Clang, which builds the wasm, does not do this.
$(BUILD)/native/src/engine/kernels_x86.o: NATIVE_CFLAGS += -fno-tree-pre

$(BUILD)/sentiment: $(NATIVE_CLI_OBJ) $(NATIVE_LIB_OBJ)
	$(CC) $^ -o $@ $(NATIVE_LDLIBS)

# --- the C library: the engine alone, for C callers (sentiment.h) ---------------------------
# Position-independent and without -march=native: the kernels pick AVX2 / AVX-512 / VNNI at run
# time, so the installed library runs on any x86-64 CPU at the speed of the one it runs on.
VERSION := $(shell sed -n 's/^\#define SENT_VERSION "\(.*\)"/\1/p' src/engine/sentiment.h)
SONAME := libsentiment.so.$(firstword $(subst ., ,$(VERSION)))
PIC_CFLAGS := -std=c11 -O3 -fPIC -fopenmp -MMD -MP $(WASM_INCLUDES) $(DEFINES)
PIC_OBJ := $(call objs,pic,$(ENGINE_SRC) $(THIRD_PARTY_SRC))
PUBLIC_HEADERS := src/engine/sentiment.h src/engine/error.h src/engine/explain.h src/engine/tokenizer.h src/engine/kernels.h
LIB_A := $(BUILD)/lib/libsentiment.a
LIB_SO := $(BUILD)/lib/libsentiment.so.$(VERSION)

$(BUILD)/pic/src/third_party/%.o: src/third_party/%.c
	@mkdir -p $(@D)
	$(CC) $(PIC_CFLAGS) $(THIRD_PARTY_CFLAGS) -c $< -o $@

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(PIC_CFLAGS) $(WARNINGS) -c $< -o $@

$(LIB_A): $(PIC_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(LIB_SO): $(PIC_OBJ)
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,$(SONAME) $^ -o $@ -fopenmp -lm
	ln -sf $(@F) $(BUILD)/lib/$(SONAME) && ln -sf $(SONAME) $(BUILD)/lib/libsentiment.so

lib: $(LIB_A) $(LIB_SO)

# DESTDIR stages a package; PREFIX is where it will live (sentiment.pc records it).
INSTALL_ROOT = $(DESTDIR)$(PREFIX)
install: all lib
	install -d $(INSTALL_ROOT)/bin $(INSTALL_ROOT)/lib/pkgconfig $(INSTALL_ROOT)/include/sentiment \
		$(INSTALL_ROOT)/share/movie-sentiment
	install -m 755 $(BUILD)/sentiment $(INSTALL_ROOT)/bin/
	install -m 644 $(PUBLIC_HEADERS) $(INSTALL_ROOT)/include/sentiment/
	install -m 644 $(LIB_A) $(INSTALL_ROOT)/lib/
	install -m 755 $(LIB_SO) $(INSTALL_ROOT)/lib/
	ln -sf $(notdir $(LIB_SO)) $(INSTALL_ROOT)/lib/$(SONAME)
	ln -sf $(SONAME) $(INSTALL_ROOT)/lib/libsentiment.so
	install -m 644 $(MODEL) $(INSTALL_ROOT)/share/movie-sentiment/sentiment.smf
	install -m 644 weights/vocab.txt $(INSTALL_ROOT)/share/movie-sentiment/
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$${prefix}/lib' 'includedir=$${prefix}/include/sentiment' \
		'modeldir=$${prefix}/share/movie-sentiment' '' 'Name: sentiment' \
		'Description: movie-review sentiment classifier (DistilBERT, int8, SIMD): the movie-sentiment engine' \
		'Version: $(VERSION)' 'Libs: -L$${libdir} -lsentiment' 'Libs.private: -fopenmp -lm' 'Cflags: -I$${includedir}' \
		> $(INSTALL_ROOT)/lib/pkgconfig/sentiment.pc

# --- unit tests (sanitized) --------------------------------------------------------------------
$(BUILD)/asan/src/third_party/%.o: src/third_party/%.c
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $(THIRD_PARTY_CFLAGS) -c $< -o $@

$(BUILD)/asan/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $(WARNINGS) -c $< -o $@

$(BUILD)/tests/%: $(BUILD)/asan/tests/unit/%.o $(ASAN_SUPPORT_OBJ) $(ASAN_CLI_OBJ) $(ASAN_LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $^ -o $@ $(TEST_LDLIBS)

unit-tests: $(UNIT_TESTS)

# --- fuzzing (clang's libFuzzer with ASan + UBSan; make test runs it: suite "fuzz") --------------
# Every tests/fuzz/fuzz_<target>.c against the engine and tools sources and the CLI files in
# UNIT_TEST_CLI_SRC, as the Makefile lists them, single-threaded (no -fopenmp: the pragmas are
# ignored, so runs are reproducible).
# `make fuzz FUZZ_SECONDS=N` runs each target N seconds, one after the other, on a fresh copy of
# its seed corpus in build/fuzz/<target>/corpus; a crash leaves its input in build/fuzz/<target>/
# and fails the run.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 45
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRC))
FUZZ_BINS := $(patsubst %,$(BUILD)/fuzz/bin/fuzz_%,$(FUZZ_TARGETS))
FUZZ_CFLAGS := -std=c11 -g -O1 -march=native -fno-omit-frame-pointer -Wno-unknown-pragmas \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -MMD -MP $(INCLUDES) $(DEFINES) \
	-Itests/unit -DSENT_SIMDE_WASM
FUZZ_LIB_OBJ := $(call objs,fuzz/obj,$(ENGINE_SRC) $(TOOLS_SRC) $(UNIT_TEST_CLI_SRC) $(THIRD_PARTY_SRC))

$(BUILD)/fuzz/obj/src/third_party/%.o: src/third_party/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(THIRD_PARTY_CFLAGS) -c $< -o $@

$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(WARNINGS) -c $< -o $@

$(BUILD)/fuzz/bin/fuzz_%: $(BUILD)/fuzz/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB_OBJ)
	@mkdir -p $(@D)
	$(FUZZ_CC) -fsanitize=fuzzer,address,undefined $^ -o $@ -lm

fuzz-build: $(FUZZ_BINS)

fuzz: $(FUZZ_BINS)
	@failed=; for t in $(FUZZ_TARGETS); do \
		dir=$(BUILD)/fuzz/$$t; rm -rf $$dir/corpus && mkdir -p $$dir/corpus && cp tests/fuzz/corpus/$$t/* $$dir/corpus/; \
		echo "=== fuzz $$t: $(FUZZ_SECONDS) s on $$(ls $$dir/corpus | wc -l) seeds (log: $$dir/log)"; \
		if $(BUILD)/fuzz/bin/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -print_final_stats=1 \
			-artifact_prefix=$$dir/ $$dir/corpus > $$dir/log 2>&1; then \
			echo "--- ok $$t: $$(sed -n 's/^stat::number_of_executed_units: *//p' $$dir/log) executions," \
				"$$(sed -n 's/^stat::average_exec_per_sec: *//p' $$dir/log)/s, corpus $$(ls $$dir/corpus | wc -l)"; \
		else failed="$$failed $$t"; echo "--- FAILED $$t: input in $$(ls -d $$dir/crash-* $$dir/leak-* $$dir/timeout-* $$dir/oom-* 2>/dev/null | tr '\n' ' ')"; \
			grep -m1 -A12 'ERROR:\|runtime error\|deadly signal' $$dir/log; fi; \
	done; [ -z "$$failed" ] || { echo "fuzz: failed:$$failed"; exit 1; }

# --- the thread pool under ThreadSanitizer (make test runs it: suite "unit/test_parallel-tsan") --
# test_parallel exercises src/engine/parallel.c's pool (parts claimed through one atomic word,
# spin then sleep), the page's pthreads build's only shared state. Built with clang
# -fsanitize=thread and without OpenMP (libgomp is not instrumented, so TSan would report its
# internals).
TSAN_CC ?= clang
TSAN_CFLAGS := -std=c11 -g -O1 -fsanitize=thread -Wno-unknown-pragmas -MMD -MP $(INCLUDES) $(DEFINES) \
	-Itests/unit -DSENT_SIMDE_WASM
TSAN_TEST := $(BUILD)/tsan/bin/test_parallel
TSAN_OBJ := $(call objs,tsan/obj,tests/unit/test_parallel.c $(ENGINE_SRC) $(TOOLS_SRC)) $(call objs,tsan/obj,$(THIRD_PARTY_SRC))

$(BUILD)/tsan/obj/src/third_party/%.o: src/third_party/%.c
	@mkdir -p $(@D)
	$(TSAN_CC) $(TSAN_CFLAGS) $(THIRD_PARTY_CFLAGS) -c $< -o $@

$(BUILD)/tsan/obj/%.o: %.c
	@mkdir -p $(@D)
	$(TSAN_CC) $(TSAN_CFLAGS) $(WARNINGS) -c $< -o $@

$(TSAN_TEST): $(TSAN_OBJ)
	@mkdir -p $(@D)
	$(TSAN_CC) -fsanitize=thread $^ -o $@ -lz -lm

tsan-build: $(TSAN_TEST)

# --- the unit tests under valgrind (make test runs it: suite "valgrind") -------------------------
# The same programs built without sanitizers into $(BUILD)/valgrind/ (-O1 -g), each run under
# memcheck; fails on any error or definitely lost byte. -march=x86-64-v3: valgrind decodes AVX2
# but not AVX-512, and the kernel tables check the CPU at run time, so under valgrind (which
# reports a CPU without AVX-512) the scalar, avx2 and wasm (libsimde) tables are the ones run.
# For the same reason test_train_gemm does not re-execute itself under valgrind (it does so only
# to check the OpenBLAS core type the trainer forces on AVX-512 CPUs; valgrind could not follow
# it: /proc/self/exe is valgrind's own tool there). SENT_TEST_QUICK=1: test_explain gives the
# shipped model one short review instead of every check (all of them still run on its random
# model). tests/valgrind.supp says why each suppression is not ours.
VALGRIND ?= valgrind
VALGRIND_FLAGS := --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
	--suppressions=tests/valgrind.supp --num-callers=30
VG_CFLAGS := -std=c11 -O1 -g -march=x86-64-v3 -fopenmp -MMD -MP $(INCLUDES) $(DEFINES) -Itests/unit -DSENT_SIMDE_WASM
VG_LIB_OBJ := $(call objs,valgrind/obj,$(ENGINE_SRC) $(TOOLS_SRC) $(TRAIN_SRC)) $(call objs,valgrind/obj,$(THIRD_PARTY_SRC))
VG_SUPPORT_OBJ := $(call objs,valgrind/obj,$(UNIT_TEST_SUPPORT_SRC) $(UNIT_TEST_CLI_SRC))
VG_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/valgrind/bin/%,$(UNIT_TEST_SRC))

$(BUILD)/valgrind/obj/src/third_party/%.o: src/third_party/%.c
	@mkdir -p $(@D)
	$(CC) $(VG_CFLAGS) $(THIRD_PARTY_CFLAGS) -c $< -o $@

$(BUILD)/valgrind/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(VG_CFLAGS) $(WARNINGS) -c $< -o $@

$(BUILD)/valgrind/bin/%: $(BUILD)/valgrind/obj/tests/unit/%.o $(VG_SUPPORT_OBJ) $(VG_LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $^ -o $@ $(NATIVE_LDLIBS)

valgrind-build: $(VG_TESTS)

# One line per program, as many programs at a time as there are cores (tests/valgrind.sh).
valgrind: $(VG_TESTS)
	@VALGRIND="$(VALGRIND)" VALGRIND_FLAGS="$(VALGRIND_FLAGS)" bash tests/valgrind.sh $(BUILD)/valgrind $(VG_TESTS)

# --- engine parity tools (native and optimized: they run full-size networks) ------------------
ENGINE_TOOLS := $(patsubst tests/engine/%.c,$(BUILD)/engine/%,$(sort $(wildcard tests/engine/*.c)))
$(BUILD)/engine/%: $(BUILD)/native/tests/engine/%.o $(NATIVE_LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $^ -o $@ $(NATIVE_LDLIBS)

engine-tools: $(ENGINE_TOOLS)

# --- WebAssembly -------------------------------------------------------------------------------
$(BUILD)/wasm/src/third_party/%.o: src/third_party/%.c
	@mkdir -p $(@D)
	$(EMCC) $(WASM_CFLAGS) $(THIRD_PARTY_CFLAGS) -c $< -o $@

$(BUILD)/wasm/%.o: %.c
	@mkdir -p $(@D)
	$(EMCC) $(WASM_CFLAGS) $(WARNINGS) -c $< -o $@

$(WASM_JS): $(WASM_OBJ)
	$(EMCC) $^ -o $@ $(WASM_LDFLAGS)

$(BUILD)/wasm-threads/src/third_party/%.o: src/third_party/%.c
	@mkdir -p $(@D)
	$(EMCC) $(WASM_THREADS_CFLAGS) $(THIRD_PARTY_CFLAGS) -c $< -o $@

$(BUILD)/wasm-threads/%.o: %.c
	@mkdir -p $(@D)
	$(EMCC) $(WASM_THREADS_CFLAGS) $(WARNINGS) -c $< -o $@

# emcc writes sentiment-threads.{mjs,wasm,worker.js} (the worker.js starts each pthread).
$(WASM_THREADS_JS): $(WASM_THREADS_OBJ)
	$(EMCC) $^ -o $@ $(WASM_THREADS_LDFLAGS)

wasm: $(WASM_JS) $(WASM_THREADS_JS)

# The kernel tables' unit test and micro-benchmark as stand-alone wasm programs for node: the
# SIMD128 kernels as the browser runs them (the native unit test reaches them only through
# libsimde). Built from the same objects as the module, with the test's own warnings policy.
WASM_NODE_LDFLAGS := -O3 -msimd128 -sALLOW_MEMORY_GROWTH=1 -sSINGLE_FILE=1 -sENVIRONMENT=node
KERNEL_WASM_OBJ := $(call objs,wasm,$(KERNEL_SRC))
$(BUILD)/wasm/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	$(EMCC) $(WASM_CFLAGS) -Itests/unit $(WARNINGS) -Werror -c $< -o $@

$(BUILD)/wasm/test_kernels.cjs: $(BUILD)/wasm/tests/unit/test_kernels.o $(KERNEL_WASM_OBJ)
	$(EMCC) $^ -o $@ $(WASM_NODE_LDFLAGS)

$(BUILD)/wasm/bench_kernels.cjs: src/tools/kernels_bench.c $(KERNEL_WASM_OBJ)
	$(EMCC) $(WASM_CFLAGS) -Isrc $(WARNINGS) -DSENT_KERNELS_BENCH_MAIN $^ -o $@ $(WASM_NODE_LDFLAGS)

kernels-wasm: $(BUILD)/wasm/test_kernels.cjs

bench-kernels-wasm: $(BUILD)/wasm/bench_kernels.cjs
	@echo "node $$(node --version), wasm SIMD128 build (emcc -O3 -msimd128)"
	node $<

# --- the static site ---------------------------------------------------------------------------
# The page at the root, the ES module (web/lib/: the public API, its engine, worker and the wasm)
# under lib/, the model at the root. Two manifests describe the one model file: model.json for the
# site, lib/model.json for the module's default model (`createClassifier()` with no model).
# $(call model_manifest,MODEL_FILE,FILE_FIELD,OUT): what the loader checks the download against;
# a new checksum replaces the cached model.
model_manifest = printf '{"file":"%s","bytes":%s,"sha256":"%s"}\n' '$(2)' "$$(stat -c %s $(1))" \
	"$$(sha256sum $(1) | cut -d' ' -f1)" > $(3)
web: $(WASM_JS) $(WASM_THREADS_JS)
	@rm -rf $(BUILD)/web && mkdir -p $(BUILD)/web
	cp -r web/. $(BUILD)/web/
	@# web/npm/ holds the package's own files (make npm), not the site's.
	rm -rf $(BUILD)/web/npm
	@# The page picks its thread count before any module loads, so the cap is written into pool.js.
	@sed -i 's|^const MAX_THREADS = .*|const MAX_THREADS = $(WASM_MAX_THREADS);   // WASM_MAX_THREADS, written by make web|' \
		$(BUILD)/web/lib/pool.js && grep -q '^const MAX_THREADS = $(WASM_MAX_THREADS);' $(BUILD)/web/lib/pool.js \
		|| { echo "web: web/lib/pool.js has no 'const MAX_THREADS = ' line"; exit 1; }
	cp $(WASM_JS) $(BUILD)/wasm/sentiment.wasm $(BUILD)/web/lib/
	cp $(WASM_THREADS_JS) $(BUILD)/wasm-threads/sentiment-threads.wasm $(BUILD)/wasm-threads/sentiment-threads.worker.js \
		$(BUILD)/web/lib/
	@# The same pthread script for node, where a "type": "module" package would read .js as ESM (engine.js).
	cp $(BUILD)/wasm-threads/sentiment-threads.worker.js $(BUILD)/web/lib/sentiment-threads.worker.cjs
	@if [ -f $(MODEL) ]; then cp $(MODEL) $(BUILD)/web/sentiment.smf; else echo "note: $(MODEL) not present; the page has no model yet"; fi
	@if [ -f $(BUILD)/web/sentiment.smf ]; then \
		$(call model_manifest,$(BUILD)/web/sentiment.smf,sentiment.smf,$(BUILD)/web/model.json) && \
		$(call model_manifest,$(BUILD)/web/sentiment.smf,../sentiment.smf,$(BUILD)/web/lib/model.json); \
	else echo '{"file":null}' | tee $(BUILD)/web/model.json > $(BUILD)/web/lib/model.json; fi
	@# sw.js keeps for offline use what was copied above, except itself (the browser keeps it) and
	@# the model (model-store.js caches it by checksum); named by a hash of those files' names and
	@# bytes, so each build's sw.js differs, is installed, and replaces the previous cache.
	@cd $(BUILD)/web && files=$$(find . -type f ! -name sw.js ! -name '*.smf' -printf '%P\n' | LC_ALL=C sort) && \
	if printf '%s\n' $$files | grep -qv '^[A-Za-z0-9._/-]*$$'; then echo "web: a file name sw.js cannot list: $$files"; exit 1; fi && \
	version=$$(sha256sum $$files | sha256sum | cut -c1-16) && list=$$(printf '"%s",' $$files) && \
	sed -i "s|^const PRECACHE = .*|const PRECACHE = {\"version\":\"$$version\",\"files\":[$${list%,}]};|" sw.js && \
	grep -q "^const PRECACHE = {\"version\":\"$$version\"" sw.js || { echo "web: web/sw.js has no 'const PRECACHE = ' line"; exit 1; }

# --- the npm package ---------------------------------------------------------------------------
# build/npm/: the ES module of the site (lib/) with the model next to it, the package.json (its
# version is the release's, SENT_VERSION), the TypeScript declarations and the package's README.
NPM_DIR := $(BUILD)/npm
npm: web
	@rm -rf $(NPM_DIR) && mkdir -p $(NPM_DIR)
	cp -r $(BUILD)/web/lib/. $(NPM_DIR)/
	cp web/npm/README.md $(NPM_DIR)/
	sed 's/"version": "[^"]*"/"version": "$(VERSION)"/' web/npm/package.json > $(NPM_DIR)/package.json
	@if [ -f $(BUILD)/web/sentiment.smf ]; then cp $(BUILD)/web/sentiment.smf $(NPM_DIR)/ && \
		$(call model_manifest,$(NPM_DIR)/sentiment.smf,sentiment.smf,$(NPM_DIR)/model.json); \
	else echo "npm: $(MODEL) not present; the package needs a model" && exit 1; fi

serve: web
	node build_scripts/serve.mjs $(BUILD)/web $(PORT)

setup:
	bash build_scripts/setup.sh

run:
	bash build_scripts/setup.sh --if-needed
	$(MAKE) all web
	$(MAKE) serve

# --- tests and benchmarks ----------------------------------------------------------------------
# Setup first (a no-op when nothing is missing), then every build in parallel, then the suites.
test:
	bash build_scripts/setup.sh --if-needed
	$(MAKE) all lib unit-tests engine-tools kernels-wasm wasm web npm fuzz-build valgrind-build tsan-build
	bash tests/run.sh

bench: all wasm $(BUILD)/wasm/bench_kernels.cjs
	bash build_scripts/bench/all.sh

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
