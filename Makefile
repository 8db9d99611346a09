# sexton — build, test, run, benchmark.
#
#   make          build/sexton (installs missing Debian packages as root)
#   make check    every test: cmocka units (ASan+UBSan), fuzz corpus replay,
#                 pytest integration against build/sexton and the ASan build
#   make run      the demo, with sexton as PID 1 of a new PID namespace
#   make run-machine  sexton as the init of a small machine in QEMU
#   make static   build/sexton-static for FROM scratch images
#   make bench    benchmarks against tini, dumb-init, catatonit (bench/)
#   make fuzz     run every fuzz target for FUZZ_SECONDS each

VERSION   := 0.1.0
CC        ?= gcc
FUZZ_CC   := clang
PYTHON    := /usr/bin/python3
FUZZ_SECONDS ?= 60

WARN      := -Wall -Wextra -Werror -Wshadow -Wformat=2
BASEFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -Iinclude -DSEXTON_VERSION='"$(VERSION)"' -MMD -MP
OPTFLAGS  ?= -O2 -g
SANFLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LIBS      := -lev -linih -lm
# build/sexton takes libev and libinih from their archives: it then needs
# only the C library at run time (copy it into any glibc image), and starts
# about 0.05 ms sooner without two shared objects to map (README,
# "Dependencies"). The ASan builds and the tests keep the shared ones.
DAEMON_LIBS := -Wl,-Bstatic -lev -linih -Wl,-Bdynamic -lm

# sextonctl's own sources (src/sextonctl*.c) link jansson; the daemon never does.
CTL_SRC   := $(wildcard src/sextonctl*.c)
CTL_LIB   := $(filter-out src/sextonctl.c,$(CTL_SRC))
LIB_SRC   := $(filter-out src/main.c $(CTL_SRC),$(wildcard src/*.c))
# The daemon's modules sextonctl uses too: names, and doctor --all's scan.
CTL_SHARED := $(patsubst %,build/obj/%.o,signames log procscan holds diag diagfmt json cgroupfs)
LIB_OBJ   := $(LIB_SRC:src/%.c=build/obj/%.o)
ASAN_OBJ  := $(LIB_SRC:src/%.c=build/asan/obj/%.o)
UNIT_BIN  := $(patsubst tests/unit/%.c,build/tests/%,$(wildcard tests/unit/test_*.c))
CTL_UNIT  := $(filter build/tests/test_sextonctl%,$(UNIT_BIN))
FIX_BIN   := $(patsubst tests/fixtures/%.c,build/fixtures/%,$(wildcard tests/fixtures/*.c)) \
	     build/fixtures/liboomshim.so
FUZZ_BIN  := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
BENCH_BIN := $(patsubst bench/%.c,build/bench/%,$(filter-out bench/usertime.c,$(wildcard bench/*.c))) \
	build/bench/usertime.so

.PHONY: all deps deps-test asan check unit fuzz-replay integration run run-machine static bench fuzz clean
.DELETE_ON_ERROR:

all: deps build/sexton build/sextonctl

# Every compile waits for this (order-only), so `make -j` on a fresh
# machine does not compile before the headers are installed.
deps:
	@scripts/ensure-deps build

deps-test:
	@scripts/ensure-deps build test

build/obj/%.o: src/%.c | deps
	@mkdir -p $(@D)
	$(CC) $(BASEFLAGS) $(OPTFLAGS) -c $< -o $@

build/asan/obj/%.o: src/%.c | deps
	@mkdir -p $(@D)
	$(CC) $(BASEFLAGS) $(SANFLAGS) -c $< -o $@

build/sexton: build/obj/main.o $(LIB_OBJ)
	$(CC) $(OPTFLAGS) -o $@ $^ $(DAEMON_LIBS)

build/asan/sexton: build/asan/obj/main.o $(ASAN_OBJ)
	$(CC) $(SANFLAGS) -o $@ $^ $(LIBS)

build/sextonctl: $(CTL_SRC:src/%.c=build/obj/%.o) $(CTL_SHARED)
	$(CC) $(OPTFLAGS) -o $@ $^ -ljansson

build/asan/sextonctl: $(CTL_SRC:src/%.c=build/asan/obj/%.o) $(CTL_SHARED:build/obj/%=build/asan/obj/%)
	$(CC) $(SANFLAGS) -o $@ $^ -ljansson

asan: deps build/asan/sexton

# Unit tests link every module but main, built with ASan+UBSan; the
# sextonctl ones link sextonctl's modules instead.
build/tests/test_sextonctl%: tests/unit/test_sextonctl%.c $(CTL_LIB:src/%.c=build/asan/obj/%.o) \
		$(CTL_SHARED:build/obj/%=build/asan/obj/%)
	@mkdir -p $(@D)
	$(CC) $(BASEFLAGS) $(SANFLAGS) -o $@ $^ -ljansson -lcmocka

# The allocation-failure tests (test_*_oom.c) wrap the allocators of
# sexton's objects (tests/unit/allocfail.h).
OOM_WRAP := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,--wrap=strndup
build/tests/test_%_oom: tests/unit/test_%_oom.c tests/unit/allocfail.h $(ASAN_OBJ)
	@mkdir -p $(@D)
	$(CC) $(BASEFLAGS) $(SANFLAGS) $(OOM_WRAP) -o $@ $(filter %.c %.o,$^) $(LIBS) -lcmocka

build/tests/%: tests/unit/%.c $(ASAN_OBJ)
	@mkdir -p $(@D)
	$(CC) $(BASEFLAGS) $(SANFLAGS) -o $@ $^ $(LIBS) -lcmocka

# LD_PRELOAD library: allocations fail in a running sexton on demand.
build/fixtures/liboomshim.so: tests/fixtures/preload/oomshim.c
	@mkdir -p $(@D)
	$(CC) $(BASEFLAGS) -O2 -fPIC -shared -o $@ $<

build/fixtures/%: tests/fixtures/%.c
	@mkdir -p $(@D)
	$(CC) $(BASEFLAGS) -O2 -o $@ $< -lpthread

build/bench/%: bench/%.c
	@mkdir -p $(@D)
	$(CC) $(BASEFLAGS) -O2 -o $@ $<

# The benchmark's libev control row links libev, as sexton does.
build/bench/refreaper-libev: bench/refreaper-libev.c
	@mkdir -p $(@D)
	$(CC) $(BASEFLAGS) -O2 -o $@ $< -lev

# bench/usertime.py's LD_PRELOAD shim.
build/bench/usertime.so: bench/usertime.c
	@mkdir -p $(@D)
	$(CC) $(BASEFLAGS) -O2 -shared -fPIC -o $@ $< -ldl

# Fuzz targets: libFuzzer with clang, every module but main compiled in.
build/fuzz/%: tests/fuzz/%.c $(LIB_SRC)
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -Iinclude -g -O1 -fsanitize=fuzzer,address,undefined \
		-o $@ $^ $(LIBS)

# sextonctl's renderer reads what a server sends, so it is a parser too:
# the rule above, with sextonctl's sources and jansson added.
build/fuzz/fuzz_render: $(CTL_LIB)
build/fuzz/fuzz_render: LIBS += -ljansson

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

# Replays every corpus file once under ASan+UBSan (no new fuzzing).
fuzz-replay: $(FUZZ_BIN)
	@set -e; for f in $(FUZZ_BIN); do \
		name=$${f##*/fuzz_}; dir=tests/fuzz/corpus/$$name; \
		echo "== $$f ($$dir)"; $$f -runs=0 $$dir/* >/dev/null 2>build/fuzz/$$name.log || \
			{ cat build/fuzz/$$name.log; exit 1; }; done

fuzz: $(FUZZ_BIN)
	@set -e; for f in $(FUZZ_BIN); do name=$${f##*/fuzz_}; \
		$$f -max_total_time=$(FUZZ_SECONDS) tests/fuzz/corpus/$$name; done

# The kernel the boot tests start in QEMU (test_boot.py): Debian's, unpacked, not installed.
build/vm/vmlinuz:
	scripts/fetch-kernel $@

INTEGRATION = $(PYTHON) -m pytest -q -p no:cacheprovider tests/integration

integration: build/sexton build/asan/sexton build/static/sexton build/sextonctl build/asan/sextonctl \
		build/sextonctl-static $(FIX_BIN) build/vm/vmlinuz
	SEXTON_BIN=$(CURDIR)/build/sexton SEXTONCTL_BIN=$(CURDIR)/build/sextonctl \
		SEXTON_FIXTURES=$(CURDIR)/build/fixtures $(INTEGRATION)
	SEXTON_BIN=$(CURDIR)/build/asan/sexton SEXTONCTL_BIN=$(CURDIR)/build/asan/sextonctl \
		SEXTON_FIXTURES=$(CURDIR)/build/fixtures \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 $(INTEGRATION)
	SEXTON_BIN=$(CURDIR)/build/static/sexton SEXTONCTL_BIN=$(CURDIR)/build/sextonctl-static \
		SEXTON_FIXTURES=$(CURDIR)/build/fixtures $(INTEGRATION)

check: deps-test
	$(MAKE) build/sexton build/asan/sexton build/sextonctl build/asan/sextonctl \
		build/sexton-static build/sextonctl-static build/static/sexton $(FIX_BIN) build/vm/vmlinuz
	$(MAKE) unit
	$(MAKE) fuzz-replay
	$(MAKE) integration

run: all $(FIX_BIN)
	unshare --pid --fork --mount-proc build/sexton -v -c conf/demo.conf

# sexton as the init of a small machine in QEMU, on this terminal (conf/machine.conf).
run-machine: deps-test build/sexton-static build/sextonctl-static build/vm/vmlinuz
	scripts/run-machine

# Fully static and stripped. sexton links musl (musl-tools): a third of
# glibc's size and RSS. Debian's libev.a and libinih.a were compiled for
# glibc; src/musl/glibcabi.c gives them the three glibc-only functions they
# call (include/glibcabi.h says why that is sound). musl-gcc searches only
# musl's headers, so build/musl-include names the two library headers.
# sextonctl-static links Debian's libjansson.a the same way (three more
# fortified string functions in glibcabi.c).
static: deps build/sexton-static build/sextonctl-static

STATIC_FLAGS = -std=c11 -D_GNU_SOURCE $(WARN) -Iinclude -DSEXTON_VERSION='"$(VERSION)"' -Os \
	-ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -static -s \
	-Wl,--gc-sections
MUSL_CC   := musl-gcc
MUSL_INC  := build/musl-include
MUSL_LIBS  = $(shell $(CC) -print-file-name=libev.a) $(shell $(CC) -print-file-name=libinih.a)

$(MUSL_INC)/%.h:
	@mkdir -p $(@D)
	ln -sf /usr/include/$(@F) $@

build/sexton-static: src/main.c $(LIB_SRC) src/musl/glibcabi.c $(wildcard include/*.h) \
		| deps $(MUSL_INC)/ev.h $(MUSL_INC)/ini.h
	@mkdir -p $(@D)
	$(MUSL_CC) $(STATIC_FLAGS) -isystem $(MUSL_INC) -o $@ $(filter %.c,$^) $(MUSL_LIBS)

# The integration suite's third pass runs the static binary under the name
# the tests expect in /proc/1/comm.
build/static/sexton: build/sexton-static
	@mkdir -p $(@D)
	cp $< $@

build/sextonctl-static: $(CTL_SRC) $(CTL_SHARED:build/obj/%.o=src/%.c) src/musl/glibcabi.c \
		$(wildcard include/*.h) | deps $(MUSL_INC)/jansson.h $(MUSL_INC)/jansson_config.h
	@mkdir -p $(@D)
	$(MUSL_CC) $(STATIC_FLAGS) -isystem $(MUSL_INC) -o $@ $(filter %.c,$^) \
		$(shell $(CC) -print-file-name=libjansson.a)

bench: all build/sexton-static $(FIX_BIN) $(BENCH_BIN)
	@scripts/ensure-deps bench
	$(PYTHON) bench/run.py
	$(PYTHON) bench/doctor.py

clean:
	rm -rf build

-include $(wildcard build/obj/*.d build/asan/obj/*.d)
