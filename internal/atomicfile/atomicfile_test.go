package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteReplacesWholeOrNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := Write(path, func(w io.Writer) error {
		io.WriteString(w, "half of the new")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want boom", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatalf("after a failed write the file holds %q, want the old content", b)
	}
	if got := entries(t, dir); len(got) != 1 {
		t.Fatalf("temporary file left behind: %v", got)
	}
	if err := Write(path, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Fatalf("file holds %q, want new", b)
	}
	if got := entries(t, dir); len(got) != 1 {
		t.Fatalf("folder holds %v, want only out.txt", got)
	}
}

func TestErrorsNameTheTargetAndPanicsCleanUp(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "no-such-folder", "out.json")
	err := Write(missing, func(io.Writer) error { return nil })
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Path != missing {
		t.Errorf("error %v does not name %s", err, missing)
	}
	path := filepath.Join(dir, "out.json")
	func() {
		defer func() { recover() }()
		Write(path, func(w io.Writer) error { panic("writer failed") })
	}()
	if got := entries(t, dir); len(got) != 0 {
		t.Errorf("a panicking writer left %v", got)
	}
}

func TestViaRenamesWhatTheWriterMade(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.parquet")
	if err := Via(path, func(tmp string) error {
		if filepath.Dir(tmp) != dir {
			t.Errorf("temporary path %s is not beside %s", tmp, path)
		}
		os.WriteFile(tmp, []byte("partial"), 0o600)
		return errors.New("copy failed")
	}); err == nil {
		t.Fatal("no error from a failed writer")
	}
	if got := entries(t, dir); len(got) != 0 {
		t.Fatalf("failed write left %v", got)
	}
	if err := Via(path, func(tmp string) error { return os.WriteFile(tmp, []byte("rows"), 0o600) }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "rows" {
		t.Fatalf("file holds %q", b)
	}
}
