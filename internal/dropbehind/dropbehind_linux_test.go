package dropbehind

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestWriterDropsWrittenWindows checks with mincore that the windows before
// the last two are not in the page cache any more, and the last one is.
func TestWriterDropsWrittenWindows(t *testing.T) {
	const win, size = 1 << 20, 8 << 20
	dir := t.TempDir()
	var fs unix.Statfs_t
	if err := unix.Statfs(dir, &fs); err != nil {
		t.Fatal(err)
	}
	if fs.Type == unix.TMPFS_MAGIC {
		// tmpfs pages are the file itself: there is no disk to drop them to.
		t.Skipf("%s is on tmpfs, whose pages cannot be dropped; TestWriterKeepsEveryByte still runs", dir)
	}
	path := filepath.Join(dir, "out")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := New(f)
	w.window = win
	write(t, w, bytes.Repeat([]byte("custnet "), size/8))
	m, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	page := os.Getpagesize()
	vec := make([]byte, size/page)
	if _, _, e := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); e != 0 {
		t.Fatal(e)
	}
	resident := func(from, to int) int {
		k := 0
		for _, v := range vec[from/page : to/page] {
			k += int(v & 1)
		}
		return k
	}
	if k := resident(0, size-2*win); k != 0 {
		t.Errorf("%d pages of the first %d windows still cached", k, size/win-2)
	}
	if k := resident(size-win, size); k == 0 {
		t.Errorf("no page of the last window cached: did the test measure anything?")
	}
}
