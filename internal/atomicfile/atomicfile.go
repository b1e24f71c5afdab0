// Package atomicfile writes files so that readers see either the old file
// or the complete new one, never half of it: the content goes to a
// temporary file in the target's folder, which is renamed over the target
// only once it is complete. A failure (or a panic in the writer) removes
// the temporary file and leaves the target as it was. It does not fsync:
// that protects against a crash of the process, not of the machine, and
// spares large outputs (model files of hundreds of MB) a wait for the disk.
package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// Write calls write with a new temporary file beside path and, if it
// succeeds, closes the file and renames it to path. The file is created
// with mode 0666 less the process's umask, as os.Create would make it.
func Write(path string, write func(w io.Writer) error) (err error) {
	f, err := Temp(path)
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = write(f); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	ok = true
	return nil
}

// Via is Write for writers that take a file name rather than an
// io.Writer (DuckDB's COPY ... TO): write gets the name of a new, empty
// temporary file beside path, which it may overwrite.
func Via(path string, write func(tmp string) error) (err error) {
	f, err := Temp(path)
	if err != nil {
		return err
	}
	tmp := f.Name()
	f.Close()
	ok := false
	defer func() {
		if !ok {
			os.Remove(tmp)
		}
	}()
	if err = write(tmp); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	return nil
}

// Temp makes a new file ".<base>.tmp-<random>" in path's folder, for
// writers that rename several files themselves. Unlike os.CreateTemp,
// whose files are 0600, it lets the umask decide the mode, as os.Create
// does. An error names path, not the temporary name.
func Temp(path string) (*os.File, error) {
	dir, base := filepath.Split(path)
	for range 100 {
		name := filepath.Join(dir, "."+base+".tmp-"+strconv.FormatUint(rand.Uint64()%1e10, 10))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				return nil, &fs.PathError{Op: "create", Path: path, Err: pe.Err}
			}
			return nil, err
		}
		return f, nil
	}
	return nil, &fs.PathError{Op: "create", Path: path, Err: fs.ErrExist}
}
