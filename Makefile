# parbench: when does concurrency yield parallel speedup?
#
# `make bench` and `make test` are the two commands a newcomer needs.

GO        ?= go
BIN       := bin/parbench
STAMP     := $(shell date -u +%Y%m%dT%H%M%SZ)
HOST      := $(shell hostname)
OUT       ?= results/$(HOST)-$(STAMP).txt
HTML      := $(OUT:.txt=.html)
BENCHSTAT := $(GO) tool benchstat

# The default sweep: every workload, without a lock and under the simulated
# GIL, GOMAXPROCS 1..2x the CPUs (the runner's default), goroutines 1, 2, 8
# and 64, 10 samples of 100ms per point. 7-8 minutes on 2 cores; on
# more cores the procs list grows with them. (--target-ci 2% saved no time
# on the shared 2-core machines: most points are noisier than 2%.)
BENCH_FLAGS ?= --lock none,gil --goroutines 1,2,8,64 --count 10 --benchtime 100ms
QUICK_FLAGS ?= --workloads cpu/sha256,io/sleep,mixed --procs 1,2 --goroutines 1,2,8 --count 6 --benchtime 50ms

FUZZTIME  ?= 10s

# The units make bench's benchstat tables show; the results file has more
# (the lock's, the runtime's, the workloads' own): benchstat FILE shows all.
TABLE_UNITS ?= .unit:(sec/op OR parallelism OR wait-share)

.PHONY: help build bench bench-quick test fuzz profile report compare clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## build bin/parbench
	$(GO) build -o $(BIN) ./cmd/parbench

bench: build ## the default sweep; writes results/<host>-<time>.txt and prints benchstat tables
	@mkdir -p results
	$(BIN) run $(BENCH_FLAGS) --out $(OUT)
	@echo; echo "== parallel speedup: columns are GOMAXPROCS =="; $(BENCHSTAT) -col /gomaxprocs -filter '$(TABLE_UNITS)' $(OUT)
	@echo; echo "== concurrency: columns are goroutines =="; $(BENCHSTAT) -col /goroutines -filter '$(TABLE_UNITS)' $(OUT)
	@echo; echo "== report =="; $(BIN) report $(OUT)
	@$(BIN) report --html $(HTML) $(OUT)
	@echo; echo "results: $(OUT)"

bench-quick: build ## a small sweep in under 2 minutes
	@mkdir -p results
	$(BIN) run $(QUICK_FLAGS) --out $(OUT)
	@echo; $(BENCHSTAT) -col /gomaxprocs -filter '$(TABLE_UNITS)' $(OUT)
	@echo; $(BENCHSTAT) -col /goroutines -filter '$(TABLE_UNITS)' $(OUT)
	@echo; $(BIN) report $(OUT)
	@$(BIN) report --html $(HTML) $(OUT)
	@echo; echo "results: $(OUT)"

test: ## gofmt, go vet, staticcheck (pinned in go.mod) and go test -race over every package
	@out=$$(gofmt -l -s .); test -z "$$out" || { echo "gofmt -s needed:"; echo "$$out"; exit 1; }
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	$(GO) test -race ./...

fuzz: ## each fuzz test of every package for FUZZTIME (default 10s): the parsers and the resume logic
	@set -e; for pkg in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

PROFILE_FLAGS ?= --workload cpu/sha256 --lock gil --procs 2 --goroutines 4 --duration 4s
PROFILE_DIR   ?= profiles/$(HOST)-$(STAMP)

profile: build ## profile a CPU-bound point under the GIL: profiles, a trace, a summary and the go tool pprof commands
	$(BIN) profile $(PROFILE_FLAGS) --out $(PROFILE_DIR)

report: build ## analyse results files: make report FILES="results/a.txt results/b.txt"
	@test -n "$(FILES)" || { echo "usage: make report FILES=results/x.txt" >&2; exit 2; }
	$(BIN) report $(FILES)

# Keys that say when and how a run was made, not what a result measured:
# two runs that differ only in these compare side by side. The list is
# package results' CompareIgnoredKeys (its run and sweep keys); a test in
# cmd/parbench fails if the two differ.
COMPARE_IGNORE ?= host,parbench-version,parbench-commit,date,profiles,classes,workloads,procs,goroutines,locks,count,target-ci,benchtime

compare: ## benchstat between two results files: make compare OLD=a.txt NEW=b.txt
	@test -n "$(OLD)" -a -n "$(NEW)" || { echo "usage: make compare OLD=old.txt NEW=new.txt" >&2; exit 2; }
	$(BENCHSTAT) -ignore $(COMPARE_IGNORE) $(OLD) $(NEW)

clean: ## remove bin/
	rm -rf bin
