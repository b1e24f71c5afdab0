package customize

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/custnet/custnet/internal/dstest"
)

// readRatings is the tests' own tiny parser: whitespace-separated
// "user item rating ..." lines (MovieLens u.data/u1.base, FilmTrust).
func readRatings(tb testing.TB, path string, add func(u, i string, r float32)) {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		fs := strings.Fields(sc.Text())
		if len(fs) == 0 {
			continue
		}
		if len(fs) < 3 {
			tb.Fatalf("%s:%d: %d fields", path, line, len(fs))
		}
		r, err := strconv.ParseFloat(fs[2], 32)
		if err != nil {
			tb.Fatalf("%s:%d: %v", path, line, err)
		}
		add(fs[0], fs[1], float32(r))
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
}

func dsPath(tb testing.TB, dataset, file string) string { return dstest.Path(tb, dataset, file) }

var (
	fixtureMu sync.Mutex
	fixtures  = map[string]*Matrix{}
)

// loadMatrix reads a ratings file once per test binary.
func loadMatrix(tb testing.TB, dataset, file string) *Matrix {
	tb.Helper()
	path := dstest.Path(tb, dataset, file)
	fixtureMu.Lock()
	defer fixtureMu.Unlock()
	if m, ok := fixtures[path]; ok {
		return m
	}
	b := NewBuilder()
	readRatings(tb, path, b.Add)
	m, _, err := b.Build()
	if err != nil {
		tb.Fatal(err)
	}
	fixtures[path] = m
	return m
}

var (
	foldMu sync.Mutex
	folds  = map[string][]Split{}
)

// loadFolds returns the 5 folds (seed 1) of a dataset, built once.
func loadFolds(tb testing.TB, dataset, file string) []Split {
	tb.Helper()
	m := loadMatrix(tb, dataset, file)
	foldMu.Lock()
	defer foldMu.Unlock()
	key := dataset + "/" + file
	if s, ok := folds[key]; ok {
		return s
	}
	s, err := KFold(m, 5, 1)
	if err != nil {
		tb.Fatal(err)
	}
	folds[key] = s
	return s
}
