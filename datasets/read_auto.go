package datasets

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// sniffOrder is the order in which [Detect] tries the formats: the most
// specific content tests first.
var sniffOrder = []string{
	formatEvents, formatStackExchange, formatMovieLensLatest, formatMovieLens1M,
	formatMovieLens100k, formatCiaoDVD, formatCDNOW, formatWikiVote, formatFilmTrust,
}

// folderMains names, for a folder, the main file of each folder format, in
// the order they are looked for.
var folderMains = []struct{ file, format string }{
	{"u.data", formatMovieLens100k},
	{"ratings.dat", formatMovieLens1M},
	{"ratings.csv", formatMovieLensLatest},
	{"movie-ratings.txt", formatCiaoDVD},
	{"ratings.txt", formatFilmTrust},
	{"Posts.xml", formatStackExchange},
	{"CDNOW_master.txt", formatCDNOW},
	{"wiki-Vote.txt", formatWikiVote},
}

// sniffBytes is how much of a file Detect reads.
const sniffBytes = 64 << 10

// Detect returns the name of the format of the file (or folder) at path,
// judged by content: the first bytes of the file (inflated when it is
// gzip) are offered to each format's Sniff. A folder is recognised by the
// main file of a multi-file format inside it. Detect returns an
// [InputError] when no format matches.
func Detect(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", openError(path, err)
	}
	if st.IsDir() {
		for _, m := range folderMains {
			p := filepath.Join(path, m.file)
			if _, err := os.Stat(p); err == nil {
				return Detect(p)
			}
		}
		return "", &InputError{File: path, Reason: "no file of a known format in this folder"}
	}
	head, err := readHead(path)
	if err != nil {
		return "", err
	}
	for _, name := range sniffOrder {
		if f, ok := registry[name]; ok && f.Sniff != nil && f.Sniff(path, head) {
			return name, nil
		}
	}
	return "", &InputError{File: path, Reason: fmt.Sprintf("cannot tell the format from the content; name one of %s", strings.Join(formatNames(), ", "))}
}

// readHead returns the first sniffBytes of the content of path.
func readHead(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, openError(path, err)
	}
	defer f.Close()
	head := make([]byte, sniffBytes)
	n, err := io.ReadFull(f, head)
	head = head[:n]
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, &InputError{File: path, Reason: "read failed: " + err.Error(), Err: err}
	}
	if n == 0 {
		return nil, &InputError{File: path, Reason: "file is empty"}
	}
	if n >= 2 && head[0] == 0x1f && head[1] == 0x8b {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, &InputError{File: path, Reason: "read failed: " + err.Error(), Err: err}
		}
		gz, err := gzip.NewReader(f)
		if err != nil {
			return nil, &InputError{File: path, Reason: "corrupt gzip stream: " + err.Error(), Err: err}
		}
		head = head[:cap(head)]
		n, err = io.ReadFull(gz, head)
		head = head[:n]
		if n == 0 && err != nil && err != io.EOF {
			return nil, &InputError{File: path, Reason: "truncated gzip stream", Err: err}
		}
	}
	return head, nil
}

func formatNames() []string {
	var names []string
	for _, f := range Formats() {
		names = append(names, f.Name)
	}
	return names
}

// Read reads the source at path in the named format ("auto" or "" to
// [Detect] it) and sends its rows to sink. See [FormatInfo.Read].
func Read(ctx context.Context, format, path string, sink Sink, opt ReadOptions) (Summary, error) {
	if format == "" || format == "auto" {
		f, err := Detect(path)
		if err != nil {
			return Summary{}, err
		}
		format = f
	}
	f, ok := LookupFormat(format)
	if !ok {
		return Summary{}, &InputError{Reason: fmt.Sprintf("unknown format %q; known: auto, %s", format, strings.Join(formatNames(), ", "))}
	}
	return f.Read(ctx, path, sink, opt)
}
