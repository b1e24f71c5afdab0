package datasets

import (
	"context"
	"fmt"
	"sort"
)

// InputError is bad input that stops a whole read: a missing or empty file,
// a header-only file, a truncated archive, an unknown format. Bad individual
// records are not errors; they go to [Sink.Reject].
type InputError struct {
	File   string
	Line   int64 // 0 when the problem is not on one line
	Reason string
	Err    error // the underlying error, if any
}

func (e *InputError) Error() string {
	switch {
	case e.File == "":
		return e.Reason
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
	default:
		return fmt.Sprintf("%s: %s", e.File, e.Reason)
	}
}

func (e *InputError) Unwrap() error { return e.Err }

// Scale is the rating scale of a source, recorded per source so that ratings
// keep their original meaning.
type Scale struct {
	Min, Max, Step float64
}

// SourceFile describes one file a reader consumed, for provenance.
type SourceFile struct {
	Path   string
	SHA256 string // hex digest of the bytes as stored (compressed bytes for .gz)
	Bytes  int64
}

// Summary is what a reader reports after a read.
type Summary struct {
	Files   []SourceFile
	Records int64  // records read (data lines, XML rows, Parquet rows), good and bad
	Scale   *Scale // nil when the source has no ratings
}

// ReadOptions tunes a read. The zero value is ready to use.
type ReadOptions struct {
	// MaxLineBytes bounds one input line; a longer line is rejected (and
	// skipped without holding it in memory). Zero means 1 MiB.
	MaxLineBytes int
}

// FormatInfo describes one input format.
type FormatInfo struct {
	Name        string
	Description string // one line, shown by --help
	// Read parses the source at path (a file, or for multi-file formats the
	// main file or its folder) and sends rows to sink.
	Read func(ctx context.Context, path string, sink Sink, opt ReadOptions) (Summary, error)
	// Sniff reports whether the file at path, whose first bytes are head,
	// is in this format. Used by the "auto" format.
	Sniff func(path string, head []byte) bool
}

var registry = map[string]FormatInfo{}

func register(f FormatInfo) { registry[f.Name] = f }

// Formats lists the registered formats by name.
func Formats() []FormatInfo {
	out := make([]FormatInfo, 0, len(registry))
	for _, f := range registry {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// LookupFormat returns the format called name ("auto" is not a format; see
// [Detect]).
func LookupFormat(name string) (FormatInfo, bool) {
	f, ok := registry[name]
	return f, ok
}

// untimed lists the formats whose events carry no time, so that the order
// of the file is the only order of repeated events (a re-rating): the
// store must keep it. Events of other formats are ordered by their times,
// and the store may insert them in any order (faster, in parallel). An
// events file without an at column is the one exception the store does
// not detect: give such events times, or expect repeats to be ordered by
// their ingest batch only.
var untimed = map[string]bool{"filmtrust": true, "wiki-vote": true}

// KeepsFileOrder reports whether the store must keep the file order of a
// format's events (see untimed).
func KeepsFileOrder(format string) bool { return untimed[format] }
