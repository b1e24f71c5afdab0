package datasets

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// This file holds what every format reader shares: opening a source file
// for one streaming pass (hashing its stored bytes and inflating .gz on the
// way), reading lines with a fixed buffer, and shaping rejects.

// ctxEvery is how many records a reader handles between checks of its
// context.
const ctxEvery = 4096

// defaultMaxLine is ReadOptions.MaxLineBytes' zero value.
const defaultMaxLine = 1 << 20

func maxLine(opt ReadOptions) int {
	if opt.MaxLineBytes > 0 {
		return opt.MaxLineBytes
	}
	return defaultMaxLine
}

// source is one input file opened for a single streaming pass: the stored
// bytes feed a SHA-256 and a byte count as they are read, and gzip content
// (recognised by its magic bytes) is inflated.
type source struct {
	path string
	f    *os.File
	h    hash.Hash
	n    int64         // stored bytes read so far
	raw  *bufio.Reader // stored bytes, through the hash
	gz   *gzip.Reader  // nil unless the file is gzip
	r    io.Reader     // content: raw or gz
}

// Read reads stored bytes from the file, hashing and counting them.
func (s *source) Read(p []byte) (int, error) {
	n, err := s.f.Read(p)
	if n > 0 {
		s.h.Write(p[:n])
		s.n += int64(n)
	}
	return n, err
}

// openSource opens path. A missing, unreadable or empty file is an
// [InputError].
func openSource(path string) (*source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, openError(path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, openError(path, err)
	}
	if st.IsDir() {
		f.Close()
		return nil, &InputError{File: path, Reason: "is a folder, not a file"}
	}
	if st.Size() == 0 {
		f.Close()
		return nil, &InputError{File: path, Reason: "file is empty"}
	}
	s := &source{path: path, f: f, h: sha256.New()}
	s.raw = bufio.NewReaderSize(s, 64<<10)
	s.r = s.raw
	if magic, _ := s.raw.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(s.raw)
		if err != nil {
			f.Close()
			return nil, s.readError(err)
		}
		gz.Multistream(true)
		s.gz = gz
		s.r = gz
	}
	return s, nil
}

func openError(path string, err error) error {
	reason := "cannot open"
	var pe *fs.PathError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		reason = "file does not exist"
	case errors.As(err, &pe):
		reason = "cannot open: " + pe.Err.Error()
	}
	return &InputError{File: path, Reason: reason, Err: err}
}

// readError turns an error from reading the content into an [InputError].
func (s *source) readError(err error) error {
	var ie *InputError
	if errors.As(err, &ie) {
		return err
	}
	if s.gz != nil || errors.Is(err, gzip.ErrHeader) {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return &InputError{File: s.path, Reason: "truncated gzip stream", Err: err}
		}
		return &InputError{File: s.path, Reason: "corrupt gzip stream: " + err.Error(), Err: err}
	}
	return &InputError{File: s.path, Reason: "read failed: " + err.Error(), Err: err}
}

// finish reads what is left of the stored bytes (so that the digest covers
// the whole file), closes the file and describes it.
func (s *source) finish() (SourceFile, error) {
	defer s.f.Close()
	if _, err := io.Copy(io.Discard, s.raw); err != nil {
		return SourceFile{}, &InputError{File: s.path, Reason: "read failed: " + err.Error(), Err: err}
	}
	return SourceFile{Path: s.path, SHA256: hex.EncodeToString(s.h.Sum(nil)), Bytes: s.n}, nil
}

func (s *source) close() { s.f.Close() }

// lineReader returns the physical lines of a source one at a time through
// a fixed buffer. A line longer than max is skipped without being held: only
// its first RawLimit bytes are kept, for the reject.
type lineReader struct {
	src  *source
	br   *bufio.Reader
	max  int
	no   int64  // 1-based number of the line last returned
	acc  []byte // a line that spans buffer refills
	long bool   // the line last returned was longer than max; see raw
	raw  []byte // first RawLimit bytes of a long line
	any  bool   // some content byte has been read
}

func newLineReader(src *source, opt ReadOptions) *lineReader {
	br := bufio.NewReaderSize(src.r, 64<<10)
	src.r = br // so that a later lineReader continues where this one stopped
	return &lineReader{src: src, br: br, max: maxLine(opt)}
}

// next returns the next line without its line ending (LF or CRLF), valid
// until the following call. At the end it returns io.EOF; a file without a
// final newline still yields its last line. When the line was too long,
// next returns a nil line and lr.long is set.
func (lr *lineReader) next() ([]byte, error) {
	lr.acc = lr.acc[:0]
	lr.long = false
	lr.raw = lr.raw[:0]
	size := 0
	for {
		frag, err := lr.br.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull && err != io.EOF {
			return nil, lr.src.readError(err)
		}
		if err == io.EOF && len(frag) == 0 && size == 0 {
			return nil, io.EOF
		}
		lr.any = true
		size += len(frag)
		switch {
		case lr.long:
			if len(lr.raw) < RawLimit {
				lr.raw = append(lr.raw, frag[:min(len(frag), RawLimit-len(lr.raw))]...)
			}
		case size == len(frag) && err != bufio.ErrBufferFull:
			// The whole line came in one piece: no copy.
			line := trimEOL(frag, lr.no == 0)
			lr.no++
			if len(line) > lr.max {
				return lr.tooLong(line), nil
			}
			return line, nil
		default:
			lr.acc = append(lr.acc, frag...)
			if len(lr.acc) > lr.max+2 { // too long whatever its line ending
				lr.tooLong(lr.acc)
				lr.acc = lr.acc[:0]
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		lr.no++
		if lr.long {
			return nil, nil
		}
		line := trimEOL(lr.acc, lr.no == 1)
		if len(line) > lr.max {
			return lr.tooLong(line), nil
		}
		return line, nil
	}
}

// tooLong marks the current line as too long, keeping its first bytes.
func (lr *lineReader) tooLong(b []byte) []byte {
	lr.long = true
	lr.raw = append(lr.raw[:0], b[:min(len(b), RawLimit)]...)
	return nil
}

var utf8BOM = []byte("\xef\xbb\xbf")

func trimEOL(b []byte, first bool) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	if first {
		b = bytes.TrimPrefix(b, utf8BOM)
	}
	return b
}

// sizeText renders a byte count the way reject reasons show it.
func sizeText(n int) string {
	switch {
	case n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

func tooLongReason(max int) string { return "line longer than " + sizeText(max) }

// rawText keeps at most RawLimit bytes of b as valid UTF-8, replacing
// invalid bytes with U+FFFD.
func rawText(b []byte) string {
	if len(b) > RawLimit {
		b = b[:RawLimit]
	}
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	if len(s) > RawLimit {
		cut := RawLimit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}

// invalidUTF8At returns the offset of the first byte of b that is not
// valid UTF-8, or -1.
func invalidUTF8At(b []byte) int {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return -1
}

func invalidUTF8Reason(off int) string {
	return fmt.Sprintf("invalid UTF-8 at byte %d of the line", off)
}

// latin1ToUTF8 appends the Latin-1 text b to dst as UTF-8.
func latin1ToUTF8(dst, b []byte) []byte {
	for _, c := range b {
		if c < utf8.RuneSelf {
			dst = append(dst, c)
		} else {
			dst = utf8.AppendRune(dst, rune(c))
		}
	}
	return dst
}

// lineScan drives a line-oriented reader: it skips blank lines (and lines
// starting with comment, when set), rejects over-long lines and lines that
// are not UTF-8, checks ctx every ctxEvery lines, and hands every other
// line to fn with its 1-based physical number. header, when set, receives
// the first non-blank line instead of fn.
type lineScan struct {
	comment string
	latin1  bool // the file is Latin-1: lines are converted, never rejected
	// latin1Fallback reads lines that are not valid UTF-8 as Latin-1
	// instead of rejecting them (old MovieLens files mix both).
	latin1Fallback bool
	header         func(line []byte) error
	// noRowsOK makes a file with no data rows valid (attribute files).
	noRowsOK bool
}

// run reads src to the end and returns the number of records given to fn
// or rejected.
func (ls lineScan) run(ctx context.Context, src *source, sink Sink, opt ReadOptions, fn func(no int64, line []byte) error) (int64, error) {
	lr := newLineReader(src, opt)
	var records int64
	var conv []byte
	sawHeader := ls.header == nil
	for {
		line, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return records, err
		}
		if lr.no%ctxEvery == 0 {
			if err := ctx.Err(); err != nil {
				return records, err
			}
		}
		if lr.long {
			records++
			if err := sink.Reject(Reject{File: src.path, Line: lr.no, Reason: tooLongReason(lr.max), Raw: rawText(lr.raw)}); err != nil {
				return records, err
			}
			continue
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if ls.comment != "" && bytes.HasPrefix(line, []byte(ls.comment)) {
			continue
		}
		if ls.latin1 || ls.latin1Fallback && !utf8.Valid(line) {
			conv = latin1ToUTF8(conv[:0], line)
			line = conv
		} else if off := invalidUTF8At(line); off >= 0 {
			if !sawHeader {
				return records, &InputError{File: src.path, Line: lr.no, Reason: "header: " + invalidUTF8Reason(off)}
			}
			records++
			if err := sink.Reject(Reject{File: src.path, Line: lr.no, Reason: invalidUTF8Reason(off), Raw: rawText(line)}); err != nil {
				return records, err
			}
			continue
		}
		if !sawHeader {
			sawHeader = true
			if err := ls.header(line); err != nil {
				return records, err
			}
			continue
		}
		records++
		if err := fn(lr.no, line); err != nil {
			return records, err
		}
	}
	if !lr.any {
		return 0, &InputError{File: src.path, Reason: "file is empty"}
	}
	if records == 0 && !ls.noRowsOK {
		return 0, &InputError{File: src.path, Reason: "no data rows"}
	}
	return records, nil
}

// splitFields splits line at sep into dst, reusing dst's storage. sep ' '
// means runs of spaces and tabs, ignoring leading and trailing ones.
func splitFields(dst [][]byte, line []byte, sep string) [][]byte {
	dst = dst[:0]
	if sep == " " {
		i := 0
		for {
			for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
				i++
			}
			if i == len(line) {
				return dst
			}
			j := i
			for j < len(line) && line[j] != ' ' && line[j] != '\t' {
				j++
			}
			dst = append(dst, line[i:j])
			i = j
		}
	}
	for {
		i := bytes.Index(line, []byte(sep))
		if i < 0 {
			return append(dst, line)
		}
		dst = append(dst, line[:i])
		line = line[i+len(sep):]
	}
}

// sniffLines returns up to n non-blank, non-comment lines of head (the
// first bytes of a file), without their line endings. The last line is
// dropped when head was cut inside it (head is shorter than sniffBytes
// only when it holds the whole file).
func sniffLines(head []byte, comment string, n int) [][]byte {
	whole := len(head) < sniffBytes
	head = bytes.TrimPrefix(head, utf8BOM)
	var out [][]byte
	for len(head) > 0 && len(out) < n {
		i := bytes.IndexByte(head, '\n')
		if i < 0 {
			break // possibly cut
		}
		line := bytes.TrimRight(head[:i], "\r")
		head = head[i+1:]
		if len(bytes.TrimSpace(line)) == 0 || comment != "" && bytes.HasPrefix(line, []byte(comment)) {
			continue
		}
		out = append(out, line)
	}
	if len(out) < n && len(head) > 0 && whole {
		// The last line of a file without a final newline.
		out = append(out, bytes.TrimRight(head, "\r"))
	}
	return out
}

// resolveMain returns the main file of a multi-file format given either
// the file itself or its folder.
func resolveMain(path, main string) (dir, file string) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return path, filepath.Join(path, main)
	}
	return filepath.Dir(path), path
}

// scanFile reads the lines of the file at path with ls and fn, and adds
// the file (and, when records is set, its records) to sum. An optional
// file that does not exist is skipped.
func scanFile(ctx context.Context, sum *Summary, path string, optional, records bool, ls lineScan, sink Sink, opt ReadOptions, fn func(no int64, line []byte) error) error {
	if optional {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil
		}
	}
	src, err := openSource(path)
	if err != nil {
		return err
	}
	defer src.close()
	n, err := ls.run(ctx, src, sink, opt, fn)
	if err != nil {
		return err
	}
	if records {
		sum.Records += n
	}
	sf, err := src.finish()
	if err != nil {
		return err
	}
	sum.Files = append(sum.Files, sf)
	return nil
}
