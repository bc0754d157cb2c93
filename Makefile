# parbench: when does concurrency yield parallel speedup?
#
# `make bench` and `make test` are the two commands a newcomer needs.

GO         ?= go
BIN        ?= bin/parbench
STAMP      := $(shell date -u +%Y%m%dT%H%M%SZ)
HOST       := $(shell hostname)
# make bench writes to results/local/, which git ignores: a run leaves the
# tree clean, so the next build's parbench-commit has no +dirty. To keep
# a run as a reference, copy it beside the others under results/ and
# commit the copy.
OUT        ?= results/local/$(HOST)-$(STAMP).txt
BENCHSTAT  := $(GO) tool benchstat

# The default sweep: every workload but the cluster/ family, without a lock
# and under the simulated GIL, GOMAXPROCS 1..2x the CPUs (the runner's
# default), goroutines 1, 2, 8 and 64, 10 samples of 100ms per point: the
# README gives its time on 2 cores; on more cores the procs list grows
# with them. (--target-ci 2% saved no time on the shared 2-core machines:
# most points are noisier than 2%.) The cluster/ workloads' samples last
# three phases of --phase-time each, not --benchtime: they have their own
# sweep, make bench-cluster.
BENCH_FLAGS ?= --workloads cpu,io,mixed,latency,webapp --lock none,gil --goroutines 1,2,8,64 --count 10 --benchtime 100ms
QUICK_FLAGS ?= --workloads cpu/sha256,io/sleep,mixed --procs 1,2 --goroutines 1,2,8 --count 6 --benchtime 50ms
# The CAP sweep: both replicated workloads, both designs, 3 replicas, a
# minority cut off in the middle third of each sample.
CLUSTER_FLAGS ?= --workloads cluster/counter,cluster/register --consistency cp,ap --replicas 3 --partition minority

FUZZTIME     ?= 10s
FUZZMINIMIZE ?= 1s

# The units make bench's benchstat tables show; the results file has more
# (the lock's, the runtime's, the workloads' own): benchstat FILE shows all.
TABLE_UNITS ?= .unit:(sec/op OR parallelism OR wait-share)

.PHONY: help build bench bench-quick bench-cluster bench-harness summary test test-example fuzz profile report compare calibrate clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

build: ## build bin/parbench
	$(GO) build -o $(BIN) ./cmd/parbench

# bench and bench-quick fail soft: a point that fails leaves the samples
# it has in $(OUT), the summary is made from them, and then the recipe
# exits with parbench run's status (make prints it as "Error N"; GNU make
# itself exits 2 for any failed recipe).
bench: RUN_FLAGS = $(BENCH_FLAGS)
bench-quick: RUN_FLAGS = $(QUICK_FLAGS)
bench-cluster: RUN_FLAGS = $(CLUSTER_FLAGS)
bench: build ## the default sweep; writes results/local/<host>-<time>.txt, prints benchstat tables and the report, writes the HTML page
bench-quick: build ## a small sweep, about 10s on 2 cores once built, with the same output as bench
bench-cluster: build ## CAP under a partition: cluster/counter and cluster/register, cp and ap, 3 replicas, a minority cut off
bench bench-quick bench-cluster:
	@mkdir -p $(dir $(OUT))
	@echo '$(BIN) run $(RUN_FLAGS) --out $(OUT)'; \
	$(BIN) run $(RUN_FLAGS) --out $(OUT); rc=$$?; \
	$(MAKE) --no-print-directory -o build summary FILE=$(OUT) RUN_STATUS=$$rc

# summary prints the benchstat tables and the report of FILE and writes
# its HTML page beside it, each step from whatever FILE holds even if
# another failed. Its status: RUN_STATUS (from bench: parbench run's) if
# that is not 0, else 1 if a step failed; 2 if FILE holds nothing.
RUN_STATUS ?= 0
summary: build ## the benchstat tables, report and HTML page of a results file: make summary FILE=results/local/x.txt
	@test -n "$(FILE)" || { echo "usage: make summary FILE=results/x.txt" >&2; exit 2; }
	@rc=$(RUN_STATUS); \
	if ! test -s '$(FILE)'; then \
	  echo "no results in $(FILE): nothing was measured (parbench run exited $$rc)"; \
	  test $$rc -ne 0 || rc=2; exit $$rc; \
	fi; \
	failed=0; \
	echo; echo "== parallel speedup: columns are GOMAXPROCS =="; \
	$(BENCHSTAT) -col /gomaxprocs -filter '$(TABLE_UNITS)' '$(FILE)' || failed=1; \
	echo; echo "== concurrency: columns are goroutines =="; \
	$(BENCHSTAT) -col /goroutines -filter '$(TABLE_UNITS)' '$(FILE)' || failed=1; \
	echo; echo "== report =="; \
	$(BIN) report '$(FILE)' || failed=1; \
	$(BIN) report --html '$(basename $(FILE)).html' '$(FILE)' || failed=1; \
	echo; echo "results: $(FILE)"; echo "page:    $(basename $(FILE)).html"; \
	if test $$rc -ne 0; then \
	  echo "parbench run exited $$rc: the tables, report and page are of the samples it wrote"; exit $$rc; \
	fi; \
	exit $$failed

# internal/testsum (a go.mod tool, as benchstat and staticcheck) runs go test -json and prints what go test prints
# without it, then one line naming the tests that skipped and why (the
# browser test without Chromium, the PostgreSQL tests without
# PARBENCH_TEST_POSTGRES: the README says how to run them); it exits
# with go test's status.
test: ## gofmt, go vet, staticcheck (pinned in go.mod) and go test -race over every package (the GIL battle also without -race); names the skipped tests; then test-example
	@out=$$(gofmt -l -s .); test -z "$$out" || { echo "gofmt -s needed:"; echo "$$out"; exit 1; }
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	$(GO) tool testsum $(GO) test -race ./...
	@echo "the GIL battle again without the race detector, whose cost per op hides the lock's:"
	$(GO) tool testsum $(GO) test -count=1 -run '^TestOldGILBattle$$' ./bench/gil
	@$(MAKE) --no-print-directory test-example

# test-example checks examples/mapbench, a module of its own as a
# user's would be, which the root's ./... does not reach (gofmt -l .
# does): go vet, the root's pinned staticcheck (go tool -n gives its
# binary), go test -race (one test builds the module's custom binary,
# cli.Main plus its workloads, and runs a short sweep with worker
# processes), then its partest benchmarks briefly, read back by
# parbench report, so that benchmark output the report cannot read
# fails here. It needs no module beyond what go mod download at the
# root fetches: its requirements are the root's. About 30s on 2 cores.
EXAMPLE ?= examples/mapbench

test-example: ## vet, staticcheck and go test -race of the example module examples/mapbench, and its benchmarks read by parbench report
	cd $(EXAMPLE) && $(GO) vet ./...
	sc=$$($(GO) tool -n staticcheck) && cd $(EXAMPLE) && $$sc ./...
	cd $(EXAMPLE) && $(GO) test -race ./...
	@tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	echo "cd $(EXAMPLE) && $(GO) test -run '^\$$' -bench . -cpu 1,2 -count 2 -benchtime 20ms > bench.txt; parbench report bench.txt"; \
	(cd $(EXAMPLE) && $(GO) test -run '^$$' -bench . -cpu 1,2 -count 2 -benchtime 20ms) > $$tmp/bench.txt || { cat $$tmp/bench.txt; exit 1; }; \
	$(GO) build -o $$tmp/parbench ./cmd/parbench || exit 1; \
	$$tmp/parbench report $$tmp/bench.txt > $$tmp/report.txt 2>&1 || { cat $$tmp/report.txt; echo "parbench report failed on the example's go test output"; exit 1; }; \
	for g in ShardedMap MutexMap JSON; do \
	  grep -q "^$$g " $$tmp/report.txt || { cat $$tmp/report.txt; echo "parbench report has no $$g group"; exit 1; }; \
	done; \
	if sed -n '/^warnings:/,$$p' $$tmp/report.txt | grep -v -e '^warnings:' -e '± ∞: need >= 6 samples' | grep -q .; then \
	  cat $$tmp/report.txt; echo "parbench report warned on the example's go test output (beyond count 2's too few samples for an interval)"; exit 1; fi; \
	sed -n '/^group/,/^$$/p' $$tmp/report.txt

# A fuzz run that fails with a bare "context deadline exceeded" and writes
# no failing input is Go's own coordinator racing its -fuzztime deadline
# on a busy machine (go.dev/issue/75804, fixed in Go 1.27): it is told
# apart from a finding, which always writes testdata/fuzz/<name>/<hash>,
# and the target's corpus is run again so that nothing found is hidden.
# Each new interesting input is minimized for at most FUZZMINIMIZE (go
# test's default is 60s): with the default, targets whose seeds are whole
# results files spent their 10s minimizing, at 0 execs a second
# (FuzzReadSamples did 8 execs in a CI run; with 1s, about 10,000).
fuzz: ## each fuzz test of every package for FUZZTIME (default 10s): the parsers and the resume logic
	@set -e; log=$$(mktemp); trap 'rm -f $$log' EXIT; \
	for pkg in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; corpus=$$pkg/testdata/fuzz/$$f; \
	    before=$$(ls $$corpus 2>/dev/null | wc -l); \
	    if $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) $$pkg >$$log 2>&1; then cat $$log; continue; fi; \
	    cat $$log; after=$$(ls $$corpus 2>/dev/null | wc -l); \
	    if [ "$$after" = "$$before" ] && grep -q '^    context deadline exceeded$$' $$log && ! grep -q 'Failing input written' $$log; then \
	      echo "fuzz: $$f: Go's fuzz coordinator missed its own deadline (go.dev/issue/75804), no failing input was written; its corpus again:"; \
	      $(GO) test -count=1 -run "^$$f$$" $$pkg; \
	    else exit 1; fi; \
	  done; \
	done

PROFILE_FLAGS ?= --workload cpu/sha256 --lock gil --procs 2 --goroutines 4 --duration 4s
PROFILE_DIR   ?= profiles/$(HOST)-$(STAMP)

profile: build ## profile a CPU-bound point under the GIL: profiles, a trace, a summary and the go tool pprof commands
	$(BIN) profile $(PROFILE_FLAGS) --out $(PROFILE_DIR)

report: build ## analyse results files: make report FILES="results/a.txt results/b.txt"
	@test -n "$(FILES)" || { echo "usage: make report FILES=results/x.txt" >&2; exit 2; }
	$(BIN) report $(FILES)

# Keys that say where, when and how a run was made, not what a result
# measured: two runs that differ only in these compare side by side, on
# one machine or on two. The list is package results' CompareIgnoredKeys
# (its machine, run and sweep keys; MACHINE_KEYS is its MachineKeys); a
# test in cli fails if they differ. compare prints each file's
# machine first, since benchstat's header then shows neither.
MACHINE_KEYS   := goos,goarch,cpu,ncpu,cpu-quota,go
COMPARE_IGNORE ?= $(MACHINE_KEYS),host,parbench-version,parbench-commit,date,profiles,classes,workloads,procs,goroutines,locks,count,target-ci,benchtime,server-workers,server-threads,consistency
comma := ,

compare: ## benchstat between two results files, of one machine or two: make compare OLD=a.txt NEW=b.txt
	@test -n "$(OLD)" -a -n "$(NEW)" || { echo "usage: make compare OLD=old.txt NEW=new.txt" >&2; exit 2; }
	@for f in $(OLD) $(NEW); do \
	  echo "$$f: $$(grep -E '^($(subst $(comma),|,$(MACHINE_KEYS))|host): ' $$f | sed 's/: /=/' | paste -sd' ')"; \
	done
	$(BENCHSTAT) -ignore $(COMPARE_IGNORE) $(OLD) $(NEW)

# calibrate runs small Python programs on real CPython threads beside
# the parbench points that simulate them (gil for CPython 3, gil-old for
# CPython 2), interleaved, and prints one table of where they match.
# PYTHON names the interpreters (a list: PYTHON="python3 python2.7");
# without it, the first CPython 3 and 2.7 that run are used. Without
# CPython it says so and exits 0.
PYTHON          ?=
CALIBRATE_OUT   ?= results/local/calibrate-$(HOST)-$(STAMP).txt
CALIBRATE_FLAGS ?=

calibrate: build ## real CPython beside the simulated GIL, one table of where they match (PYTHON=... to choose; 3-5 min on 2 CPUs)
	$(BIN) calibrate $(foreach p,$(PYTHON),--python '$(p)') --out $(CALIBRATE_OUT) $(CALIBRATE_FLAGS)

# bench-harness measures parbench's own harness beside Go's tools on this
# machine, interleaved round by round (parbench selfbench -h says how):
# the empty op through the runner and through testing.B, precision per
# second (benchstat's ± times the square root of the wall time) through
# parbench run and go test -bench, and parbench report against benchstat.
# It needs the go command (it builds the bench package's tests and
# benchstat) and writes the ratios to HARNESS_OUT; the README's figures
# on how parbench measures itself come from it. Run it on a quiet machine.
HARNESS_OUT   ?= results/local/harness-$(HOST)-$(STAMP).txt
HARNESS_FLAGS ?=

bench-harness: build ## parbench beside go test, testing.B and benchstat, interleaved, and io/sleep at 10,000 and 100,000 goroutines: the ratios into results/local/ (about 3.5 min on 2 cores)
	$(BIN) selfbench --out $(HARNESS_OUT) $(HARNESS_FLAGS)

clean: ## remove bin/
	rm -rf bin
