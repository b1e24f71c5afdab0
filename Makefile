# custnet: every build, test and bench uses cgo and the duckdb_arrow tag,
# which DuckDB's Arrow interface needs.
GO       ?= go
TAGS     := duckdb_arrow
GOFLAGS  := -tags=$(TAGS)
BIN      := bin/custnet
OUT      ?= custnet-out
export CGO_ENABLED := 1

.PHONY: all build run test test-deps lint bench bench-full bench-ingest bench-graph bench-score bench-rec bench-netflix bench-serve bench-deps clean

all: build

build:
	$(GO) build $(GOFLAGS) -o $(BIN) ./cmd/custnet

# The main job on the built-in default data (20,000 generated customers).
run: build
	./$(BIN) run --out $(OUT)

# The whole test suite; .ci/run calls this with CI=true.
test: test-deps
	$(GO) vet $(GOFLAGS) ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt -l lists:"; echo "$$unformatted"; exit 1; fi
	$(GO) test $(GOFLAGS) -count=1 -timeout 14m ./...

# What the tests need beyond Go (Chromium for the report test).
test-deps:
	@bash scripts/install-deps.sh test

lint:
	gofmt -l .
	$(GO) vet $(GOFLAGS) ./...

# Benchmarks: results and how to read them are in benchmarks/RESULTS.md.
bench: build bench-deps
	./$(BIN) bench --suite quick

bench-full: build bench-deps
	./$(BIN) bench --suite full --repeat 3

bench-ingest: build
	$(GO) test $(GOFLAGS) -run '^$$' -bench 'Ingest' -benchtime 1x -timeout 30m ./benchmarks/

bench-graph: bench-deps
	$(GO) test $(GOFLAGS) -run '^$$' -bench 'Graph' -benchtime 1x -timeout 30m ./benchmarks/
	$(GO) test $(GOFLAGS) -run '^$$' -bench 'PageRank|Louvain|KCore|Components|Pipeline' -benchmem -timeout 30m ./graph/

bench-score:
	$(GO) test $(GOFLAGS) -run '^$$' -bench 'FeatureSQL|Score|Explain' -benchmem -timeout 30m ./strategies/

bench-rec:
	$(GO) test $(GOFLAGS) -run '^$$' -bench 'Fit|TopN|Epoch' -benchmem -timeout 60m ./strategies/customize/

bench-netflix:
	CUSTNET_NETFLIX=1 $(GO) test $(GOFLAGS) -run '^$$' -bench Netflix -benchtime 1x -timeout 60m ./strategies/customize/

bench-serve:
	$(GO) test $(GOFLAGS) -run '^$$' -bench 'Serve' -benchtime 1x -timeout 30m ./benchmarks/

bench-deps:
	@bash scripts/install-deps.sh bench

clean:
	rm -rf bin $(OUT)
