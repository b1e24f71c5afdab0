package datasets

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custnet/custnet/internal/dstest"
)

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// zipOf packs files under a top folder, as GroupLens' archives do.
func zipOf(t *testing.T, files map[string]string) []byte {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for name, content := range files {
		f, err := w.Create("ml-test/" + name)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte(content))
	}
	w.Close()
	return buf.Bytes()
}

func TestFetchVerifiesAndPlacesFiles(t *testing.T) {
	udata := "1\t2\t5\t881250949\n"
	archive := zipOf(t, map[string]string{"u.data": udata, "README": "terms", "u.other": "ignored"})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing.zip" {
			http.NotFound(w, r)
			return
		}
		w.Write(archive)
	}))
	defer srv.Close()
	ctx := context.Background()
	d := Download{Name: "ml-test", URL: srv.URL + "/ml.zip", Pack: "zip", Files: map[string]string{"u.data": sha256hex([]byte(udata))}}

	t.Run("a verified download lands in its folder with the publisher's readme", func(t *testing.T) {
		dir := t.TempDir()
		got, err := Fetch(ctx, srv.Client(), d, dir)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(filepath.Join(got, "u.data"))
		if string(b) != udata {
			t.Fatalf("u.data = %q", b)
		}
		if _, err := os.Stat(filepath.Join(got, "README")); err != nil {
			t.Fatal("README not kept beside the data")
		}
		if _, err := os.Stat(filepath.Join(got, "u.other")); err == nil {
			t.Fatal("an unlisted file was kept")
		}
		if _, err := Fetch(ctx, srv.Client(), d, dir); err == nil || !strings.Contains(err.Error(), "already exists") {
			t.Fatalf("second fetch: %v", err)
		}
	})
	t.Run("a checksum mismatch leaves nothing behind", func(t *testing.T) {
		dir := t.TempDir()
		bad := d
		bad.Files = map[string]string{"u.data": strings.Repeat("0", 64)}
		_, err := Fetch(ctx, srv.Client(), bad, dir)
		if err == nil || !strings.Contains(err.Error(), "SHA-256") {
			t.Fatalf("err = %v", err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Fatalf("left behind: %v", entries)
		}
	})
	t.Run("an HTTP error names the URL", func(t *testing.T) {
		bad := d
		bad.URL = srv.URL + "/missing.zip"
		if _, err := Fetch(ctx, srv.Client(), bad, t.TempDir()); err == nil || !strings.Contains(err.Error(), "404") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a truncated archive is refused", func(t *testing.T) {
		cut := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(archive[:len(archive)/2]) }))
		defer cut.Close()
		bad := d
		bad.URL = cut.URL + "/ml.zip"
		if _, err := Fetch(ctx, cut.Client(), bad, t.TempDir()); err == nil || !strings.Contains(err.Error(), "zip") {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestPinnedDigestsMatchTheSharedCopies checks the catalogue's digests
// against the copies the tests read, file by file.
func TestPinnedDigestsMatchTheSharedCopies(t *testing.T) {
	for _, d := range Downloads {
		for name, want := range d.Files {
			b, err := os.ReadFile(dstest.Path(t, d.Name, name))
			if err != nil {
				t.Fatal(err)
			}
			if got := sha256hex(b); got != want {
				t.Errorf("%s/%s: pinned %s, file has %s", d.Name, name, want, got)
			}
		}
	}
}
