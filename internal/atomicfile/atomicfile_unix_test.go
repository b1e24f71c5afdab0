//go:build unix

package atomicfile

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// The mode is what os.Create gives under the process's umask, not a fixed
// one: a strict umask keeps personal exports private.
func TestWriteFollowsTheUmask(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	dir := t.TempDir()
	for _, w := range []func(string) error{
		func(p string) error { return Write(p, func(w io.Writer) error { return nil }) },
		func(p string) error {
			return Via(p, func(tmp string) error { return os.WriteFile(tmp, []byte("x"), 0o666) })
		},
	} {
		path := filepath.Join(dir, "me.json")
		if err := w(path); err != nil {
			t.Fatal(err)
		}
		ref := filepath.Join(dir, "ref")
		f, err := os.Create(ref)
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		got, _ := os.Stat(path)
		want, _ := os.Stat(ref)
		if got.Mode().Perm() != want.Mode().Perm() || got.Mode().Perm() != 0o600 {
			t.Errorf("mode %v, os.Create gives %v (umask 077)", got.Mode().Perm(), want.Mode().Perm())
		}
		os.Remove(path)
	}
}
