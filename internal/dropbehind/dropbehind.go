// Package dropbehind writes large files without filling the page cache
// with them. A [Writer] passes every write on to its file and, after each
// window of 64 MiB, asks the kernel to start writing that window to disk
// and to drop the window before it from the cache once it is on disk.
// The cache then holds at most two windows of the file, and the pages of
// the dropped window serve the next ones.
//
// Writing gigabytes through the page cache is cheap only while the kernel
// has free pages at hand: on the two-core virtual machine of the benchmark
// suite, writing 5.3 GB (the size of the generator's 100M-event CSV) into
// fresh cache pages cost 1.1 to 12.4 s of system time from run to run
// with dd, against 1.3-1.4 s through a writer like this one; the
// generator's own system time fell from 14.2 to 2.0-2.6 s
// (benchmarks/RESULTS.md). When the last write returns, the
// file is on disk but for its last window or two; closing the file does
// not wait for them (like the rest of custnet, the writer does not fsync).
//
// On systems without sync_file_range and posix_fadvise (all but Linux),
// on anything but regular files, and on file systems that refuse them, a
// Writer writes through unchanged.
package dropbehind

import (
	"io"
	"os"
)

// Window is the number of bytes written between two write-back requests.
const Window = 64 << 20

// Writer writes to a file, keeping at most two windows of it in the page
// cache (see the package documentation).
type Writer struct {
	f       *os.File
	written int64
	// started: write-back requested for [0, started), and all but the
	// last window of it on disk and dropped from the cache.
	started int64
	through bool // the file does not support it: write through
	window  int64
}

// New returns a Writer to f, which must be new and empty (offsets count
// from 0). Unless f is a regular file, the Writer writes through.
func New(f *os.File) *Writer {
	fi, err := f.Stat()
	return &Writer{f: f, window: Window, through: err != nil || !fi.Mode().IsRegular()}
}

// Write writes p to the file and, past each window boundary, hands the
// finished window to the kernel's write-back and drops the one before.
// A write error, or an I/O error the kernel reports for an earlier window,
// is returned.
func (w *Writer) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.written += int64(n)
	if err != nil || w.through {
		return n, err
	}
	for w.written-w.started >= w.window {
		if err := w.advance(); err != nil {
			return n, err
		}
	}
	return n, nil
}

// advance requests write-back of the next window and drops the one before
// it once it is on disk.
func (w *Writer) advance() error {
	ok, err := startWriteBack(w.f, w.started, w.window)
	if ok && err == nil && w.started >= w.window {
		ok, err = waitAndDrop(w.f, w.started-w.window, w.window)
	}
	if err != nil || !ok {
		w.through = !ok
		return err
	}
	w.started += w.window
	return nil
}

var _ io.Writer = (*Writer)(nil)
