# Makefile - build, run, test, asan, fuzz and bench for the BHXH coverage pipeline.
#
#   make          build everything into bin/
#   make run      install missing Debian packages, build, start the pipeline on the
#                 embedded default configuration and submit the sample data
#   make test     install what is missing, build, run unit, end-to-end and multi-host tests
#   make test-multihost  the pipeline over hosts in network namespaces of this machine
#                 (root; prints "# skipped" where namespaces are not allowed)
#   make asan     the same tests under AddressSanitizer + UndefinedBehaviorSanitizer
#   make bench    benchmarks (print numbers); BENCH=compare runs only tools/bench_compare.sh
#   make docs     rewrite the key reference of docs/CONFIGURATION.md from the code's description
#   make install  programs, configuration, systemd units, logrotate file (PREFIX, DESTDIR; see the end)
#   make fuzz     build the libFuzzer harnesses tests/fuzz/fuzz_*.c with clang and run
#                 each for FUZZ_SECONDS (default 60); see docs/FUZZING.md

CC      ?= cc
BUILD   ?= build
BIN     ?= bin
PKGS    := libzmq msgpack yaml-0.1 sqlite3 libutf8proc libcrypto libcurl libmicrohttpd libzip expat freexl
CFLAGS  ?= -O2 -g
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -pthread -Wall -Wextra -Wshadow -Wno-unused-parameter -Icommon -Itools
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lzmq -lmsgpackc -lyaml -lsqlite3 -lutf8proc -lcrypto -lcurl -lmicrohttpd -lzip -lexpat -lfreexl) -lm

# Debian packages: RUN_DEBS build and run the pipeline (`make run`);
# TEST_DEBS are added for `make test` (unit tests, SMTP sink, browser checks).
RUN_DEBS  := build-essential pkg-config libzmq3-dev libmsgpack-dev libyaml-dev libsqlite3-dev \
             libutf8proc-dev libssl-dev libcurl4-openssl-dev libmicrohttpd-dev sqlite3 \
             libzip-dev libexpat1-dev libfreexl-dev
TEST_DEBS := $(RUN_DEBS) libcmocka-dev python3-aiosmtpd chromium openssl iproute2 curl \
             python3-openpyxl python3-xlwt
# BENCH_DEBS are added for `make bench` (the baselines of tools/bench_compare.sh).
BENCH_DEBS := $(RUN_DEBS) python3-pandas
# FUZZ_DEBS are added for `make fuzz` (clang with libFuzzer).
FUZZ_DEBS := $(RUN_DEBS) clang libclang-rt-14-dev

# missing-debs LIST - the packages of LIST not installed
missing-debs = $(strip $(foreach p,$(1),$(if $(filter ii,$(shell dpkg-query -W -f='$${db:Status-Abbrev}' $(p) 2>/dev/null)),,$(p))))

COMMON_SRC := $(wildcard common/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o)
WORKERS    := ingest validate aggregate alert
WORKER_BIN := $(WORKERS:%=$(BIN)/bhxh-%)
TOOLS_BIN  := $(BIN)/bhxhctl $(BIN)/bhxh-gen
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BIN)/tests/%)
TEST_TOOLS := $(BIN)/tests/zsend $(BIN)/tests/zforge $(BIN)/bhxh-cfgdoc

.PHONY: all build deps test-deps run test unit e2e test-multihost asan bench fuzz clean docs
.SECONDARY:
all: $(WORKER_BIN) $(TOOLS_BIN) $(UNIT_BIN) $(TEST_TOOLS)

# install-debs LIST - install what is missing as root, or print the apt-get line
define install-debs
	@missing="$(call missing-debs,$(1))"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages: $$missing"; \
	    (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "missing packages; run as root:"; echo "  apt-get install -y $$missing"; exit 1; \
	  fi; \
	fi
endef

deps:
	$(call install-debs,$(RUN_DEBS))

test-deps:
	$(call install-debs,$(TEST_DEBS))

build: $(WORKER_BIN) $(TOOLS_BIN)

$(BUILD)/%.o: %.c $(wildcard common/*.h) $(wildcard workers/*/*.h) $(wildcard tools/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(BASE_CFLAGS) -c -o $@ $<

$(BUILD)/libcommon.a: $(COMMON_OBJ)
	@rm -f $@
	ar rcs $@ $^

define WORKER_RULE
$$(BIN)/bhxh-$(1): $$(patsubst %.c,$$(BUILD)/%.o,$$(wildcard workers/$(1)/*.c)) $$(BUILD)/libcommon.a
	@mkdir -p $$(BIN)
	$$(CC) $$(CFLAGS) $$(BASE_CFLAGS) -o $$@ $$(filter %.o,$$^) $$(BUILD)/libcommon.a $$(LDFLAGS) $$(LDLIBS)
endef
$(foreach w,$(WORKERS),$(eval $(call WORKER_RULE,$(w))))

$(BIN)/bhxhctl: $(BUILD)/tools/bhxhctl.o $(BUILD)/tools/supervise.o $(BUILD)/tools/ctl_backup.o $(BUILD)/tools/metrics_http.o $(BUILD)/libcommon.a
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $(BASE_CFLAGS) -o $@ $(filter %.o,$^) $(BUILD)/libcommon.a $(LDFLAGS) $(LDLIBS)

$(BIN)/bhxh-gen: $(patsubst %.c,$(BUILD)/%.o,$(wildcard tools/gen*.c)) $(BUILD)/libcommon.a
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $(BASE_CFLAGS) -o $@ $(filter %.o,$^) $(BUILD)/libcommon.a $(LDFLAGS) $(LDLIBS)

# bhxh-cfgdoc writes the key reference of docs/CONFIGURATION.md from the
# description of the configuration in the code; make test checks it is current.
$(BIN)/bhxh-cfgdoc: $(BUILD)/tools/cfgdoc.o $(BUILD)/libcommon.a
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $(BASE_CFLAGS) -o $@ $(filter %.o,$^) $(BUILD)/libcommon.a $(LDFLAGS) $(LDLIBS)

docs: $(BIN)/bhxh-cfgdoc
	$(BIN)/bhxh-cfgdoc --write docs/CONFIGURATION.md

$(BIN)/tests/zsend: $(BUILD)/tests/tools/zsend.o
	@mkdir -p $(BIN)/tests
	$(CC) $(CFLAGS) $(BASE_CFLAGS) -o $@ $< $(LDFLAGS) $(LDLIBS)

# wbdump: reads a workbook with common/workbook.c and prints its rows (tests,
# tools/bench_workbook.sh)
all: $(BIN)/tests/wbdump
$(BIN)/tests/wbdump: $(BUILD)/tests/tools/wbdump.o $(BUILD)/libcommon.a
	@mkdir -p $(BIN)/tests
	$(CC) $(CFLAGS) $(BASE_CFLAGS) -o $@ $< $(BUILD)/libcommon.a $(LDFLAGS) $(LDLIBS)

$(BIN)/tests/zforge: $(BUILD)/tests/tools/zforge.o $(BUILD)/libcommon.a
	@mkdir -p $(BIN)/tests
	$(CC) $(CFLAGS) $(BASE_CFLAGS) -o $@ $< $(BUILD)/libcommon.a $(LDFLAGS) $(LDLIBS)

$(BIN)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/libcommon.a
	@mkdir -p $(BIN)/tests
	$(CC) $(CFLAGS) $(BASE_CFLAGS) -o $@ $< $(BUILD)/libcommon.a $(LDFLAGS) $(LDLIBS) -lcmocka

# test_alert compiles the alert worker's format.c, check.c and send.c in.
$(BUILD)/tests/unit/test_alert.o: $(wildcard workers/alert/*.c)

# test_apply drives the aggregate's modules directly: it links every source
# of workers/aggregate/ but main.c.
AGG_LIB_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(filter-out workers/aggregate/main.c,$(wildcard workers/aggregate/*.c)))
$(BUILD)/tests/unit/test_apply.o: BASE_CFLAGS += -Iworkers/aggregate
$(BIN)/tests/test_apply: $(BUILD)/tests/unit/test_apply.o $(AGG_LIB_OBJ) $(BUILD)/libcommon.a
	@mkdir -p $(BIN)/tests
	$(CC) $(CFLAGS) $(BASE_CFLAGS) -o $@ $(filter %.o,$^) $(BUILD)/libcommon.a $(LDFLAGS) $(LDLIBS) -lcmocka

run: deps
	@$(MAKE) --no-print-directory build
	@tools/run-sample.sh

test: test-deps
	@$(MAKE) --no-print-directory all
	@tests/run-all.sh

unit: all
	@tests/run-all.sh unit

e2e: all
	@tests/run-all.sh e2e

# the test's own ok/not ok lines and its "N passed, N failed"; `make test` runs it too
test-multihost: all
	@BHXH_BIN=$(BIN) bash tests/multihost/test_multihost.sh

asan: test-deps
	@$(MAKE) --no-print-directory BUILD=build-asan BIN=bin-asan CC=gcc \
	  CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	  LDFLAGS="-fsanitize=address,undefined" all
	@BHXH_BIN=bin-asan ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  tests/run-all.sh

# BENCH=NAME[,NAME...] runs only tools/bench_NAME.sh (make bench BENCH=compare)
bench:
	$(call install-debs,$(BENCH_DEBS))
	@$(MAKE) --no-print-directory all
	@BENCH="$(BENCH)" tools/bench.sh

# Fuzzing: each harness is built by clang with the common/*.c sources it
# needs compiled in (instrumented; not libcommon.a, which gcc builds without
# coverage), then run by tools/fuzz.sh. A harness not listed here gets all
# of common/*.c.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS  := -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_BIN     := $(patsubst tests/fuzz/%.c,$(BIN)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SRC_msg    := common/msg.c common/xalloc.c
FUZZ_SRC_csv    := common/csv.c common/xalloc.c
FUZZ_SRC_text   := common/text.c common/xalloc.c
FUZZ_SRC_workbook := common/workbook.c common/xalloc.c
FUZZ_SRC_yaml   := common/xalloc.c common/fsutil.c common/yamltree.c common/cfgdesc.c common/config.c common/text.c common/cfg_findings.c common/cfg_alert.c common/cfg_endpoints.c common/fieldcheck.c
FUZZ_SRC_fields := $(FUZZ_SRC_yaml) common/rowcheck.c
FUZZ_SRC_writers := $(FUZZ_SRC_yaml) common/receipt.c common/workbook.c common/report.c common/dashboard.c common/kinds.c workers/alert/format.c

$(BIN)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard common/*.c common/*.h)
	@mkdir -p $(BIN)/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(BASE_CFLAGS) -o $@ $< $(or $(FUZZ_SRC_$*),$(COMMON_SRC)) $(LDLIBS)

fuzz:
	$(call install-debs,$(FUZZ_DEBS))
	@$(MAKE) --no-print-directory $(FUZZ_BIN)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tools/fuzz.sh $(FUZZ_BIN)

# fuzz_writers also compiles the alert worker's formatting; its strict build
# (every value any bytes, docs/FUZZING.md) shows what the writers do with
# values the pipeline never hands them.
$(BIN)/fuzz/fuzz_writers: workers/alert/format.c workers/alert/alert.h
$(BIN)/fuzz-strict/fuzz_writers: tests/fuzz/fuzz_writers.c $(wildcard common/*.c common/*.h) workers/alert/format.c workers/alert/alert.h
	@mkdir -p $(BIN)/fuzz-strict
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(BASE_CFLAGS) -DFUZZ_WRITERS_STRICT=1 -o $@ $< $(FUZZ_SRC_writers) $(LDLIBS)

# The I/O fault-injection shim for tests (docs/FAULTS.md), loaded with
# LD_PRELOAD; built without the sanitizer flags of CFLAGS so that it can be
# preloaded into any build. test_faultfs checks it.
all: $(BIN)/tests/libfaultfs.so
$(BIN)/tests/libfaultfs.so: tests/tools/faultfs.c
	@mkdir -p $(BIN)/tests
	$(CC) -O2 -g $(BASE_CFLAGS) -fPIC -shared -fvisibility=hidden -o $@ $< -ldl -lpthread

all: $(BIN)/tests/test_faultfs
$(BIN)/tests/test_faultfs: $(BUILD)/tests/tools/faultfs_test.o $(BIN)/tests/libfaultfs.so
	@mkdir -p $(BIN)/tests
	$(CC) $(CFLAGS) $(BASE_CFLAGS) -o $@ $< $(LDFLAGS) $(LDLIBS) -lcmocka -lpthread

# Seeds of fuzz_msg: gen_msg_seeds writes one encoded message of each type of
# the current format into tests/fuzz/corpus/msg (run after a format change and
# commit the result; docs/FUZZING.md).
.PHONY: msg-seeds
all: $(BIN)/tests/gen_msg_seeds
$(BIN)/tests/gen_msg_seeds: $(BUILD)/tests/fuzz/gen_msg_seeds.o $(BUILD)/libcommon.a
	@mkdir -p $(BIN)/tests
	$(CC) $(CFLAGS) $(BASE_CFLAGS) -o $@ $< $(BUILD)/libcommon.a $(LDFLAGS) $(LDLIBS)

msg-seeds: $(BIN)/tests/gen_msg_seeds
	rm -f tests/fuzz/corpus/msg/*.bin
	$(BIN)/tests/gen_msg_seeds tests/fuzz/corpus/msg

clean:
	rm -rf build build-asan bin bin-asan

# Install (docs/OPERATIONS.md, "Install"): the programs into BINDIR, the shipped
# configuration into /etc/bhxh (an existing file is kept and the shipped one put
# beside it as NAME.dist), the sample data and the documentation under
# $(PREFIX)/share, the systemd units and the logrotate file, /var/lib/bhxh
# (0750), and, as root with no DESTDIR, the system user bhxh; with DESTDIR (a
# package or a test) what would be done as root is printed instead.
#   make install [PREFIX=/usr/local] [DESTDIR=/tmp/stage]
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
DATADIR    ?= $(PREFIX)/share/bhxh
DOCDIR     ?= $(PREFIX)/share/doc/bhxh
UNITDIR    ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc
CONFDIR    := $(SYSCONFDIR)/bhxh
STATEDIR   := /var/lib/bhxh
BHXH_USER  ?= bhxh
UNITS      := deploy/bhxh-pipeline.service deploy/bhxh-worker@.service deploy/bhxh.target
CONF_FILES := bhxh.yaml schemas.yaml findings.yaml alerting.yaml
# the units and the logrotate file name /usr/local/bin, /etc/bhxh and /usr/local/share
INSTALL_SED = sed -e 's|/usr/local/bin/|$(BINDIR)/|g' -e 's|/usr/local/share/doc/bhxh|$(DOCDIR)|g' \
              -e 's|/etc/bhxh|$(CONFDIR)|g'

.PHONY: install uninstall
install: build
	install -d -m 0755 $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/sample $(DESTDIR)$(DOCDIR) \
	  $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/logrotate.d
	install -m 0755 $(WORKER_BIN) $(TOOLS_BIN) $(DESTDIR)$(BINDIR)/
	install -m 0644 config/sample/*.csv $(DESTDIR)$(DATADIR)/sample/
	install -m 0644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/
	install -d -m 0750 $(DESTDIR)$(CONFDIR)
	@for f in $(CONF_FILES); do \
	  dst=$(DESTDIR)$(CONFDIR)/$$f; \
	  if [ ! -e "$$dst" ]; then install -m 0640 config/$$f "$$dst" && echo "installed $$dst"; \
	  elif cmp -s config/$$f "$$dst"; then echo "$$dst: unchanged"; \
	  else install -m 0640 config/$$f "$$dst.dist" && echo "$$dst: kept (yours); the shipped one is $$dst.dist"; fi; \
	done
	@for u in $(UNITS); do \
	  $(INSTALL_SED) $$u >$(DESTDIR)$(UNITDIR)/$${u#deploy/} && chmod 0644 $(DESTDIR)$(UNITDIR)/$${u#deploy/} && \
	  echo "installed $(DESTDIR)$(UNITDIR)/$${u#deploy/}"; done
	$(INSTALL_SED) deploy/logrotate.d/bhxh >$(DESTDIR)$(SYSCONFDIR)/logrotate.d/bhxh
	chmod 0644 $(DESTDIR)$(SYSCONFDIR)/logrotate.d/bhxh
	install -d -m 0750 $(DESTDIR)$(STATEDIR)
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then \
	  if ! getent passwd $(BHXH_USER) >/dev/null; then \
	    useradd --system --user-group --home-dir $(STATEDIR) --no-create-home --shell /usr/sbin/nologin \
	      --comment "BHXH coverage pipeline" $(BHXH_USER) && echo "created system user $(BHXH_USER)"; fi; \
	  chown $(BHXH_USER):$(BHXH_USER) $(STATEDIR); \
	  chown root:$(BHXH_USER) $(CONFDIR) $(CONFDIR)/*.yaml*; \
	  if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi; \
	  echo "next: systemctl enable --now bhxh-pipeline (or bhxh.target with bhxh-worker@NAME; docs/OPERATIONS.md)"; \
	else \
	  echo "as root, without DESTDIR, install would also run:"; \
	  echo "  getent passwd $(BHXH_USER) || useradd --system --user-group --home-dir $(STATEDIR) --no-create-home --shell /usr/sbin/nologin $(BHXH_USER)"; \
	  echo "  chown $(BHXH_USER):$(BHXH_USER) $(STATEDIR)"; \
	  echo "  chown root:$(BHXH_USER) $(CONFDIR) $(CONFDIR)/*.yaml*"; \
	  echo "  systemctl daemon-reload"; \
	fi

# uninstall - the programs, units, logrotate file, samples and documentation;
# the configuration, the state in /var/lib/bhxh and the user stay.
uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(WORKER_BIN) $(TOOLS_BIN)))
	rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,$(notdir $(UNITS))) $(DESTDIR)$(SYSCONFDIR)/logrotate.d/bhxh
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)
