// Package atomicfile writes files so that readers see either the old file
// or the complete new one, never half of it: the content goes to a
// temporary file in the target's folder, which is renamed over the target
// only once it is complete. A failure removes the temporary file and
// leaves the target as it was.
package atomicfile

import (
	"io"
	"os"
	"path/filepath"
)

// Write calls write with a temporary file beside path and, if it succeeds,
// makes the file readable by everyone (0644, as os.Create would under the
// usual umask), closes it and renames it to path.
func Write(path string, write func(w io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = write(f); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// Via is Write for writers that take a file name rather than an
// io.Writer (DuckDB's COPY ... TO): write gets the name of a free
// temporary path beside path, which it may create or overwrite.
func Via(path string, write func(tmp string) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	f.Close()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if err = write(tmp); err != nil {
		return err
	}
	if err = os.Chmod(tmp, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
