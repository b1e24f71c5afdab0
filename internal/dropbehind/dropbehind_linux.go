package dropbehind

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// startWriteBack asks the kernel to start writing [off, off+n) of f to
// disk, without waiting. ok is false when f does not support it.
func startWriteBack(f *os.File, off, n int64) (ok bool, err error) {
	return result(unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE))
}

// waitAndDrop waits until [off, off+n) of f is on disk and drops it from
// the page cache.
func waitAndDrop(f *os.File, off, n int64) (ok bool, err error) {
	fd := int(f.Fd())
	if ok, err := result(unix.SyncFileRange(fd, off, n,
		unix.SYNC_FILE_RANGE_WAIT_BEFORE|unix.SYNC_FILE_RANGE_WRITE|unix.SYNC_FILE_RANGE_WAIT_AFTER)); !ok || err != nil {
		return ok, err
	}
	return result(unix.Fadvise(fd, off, n, unix.FADV_DONTNEED))
}

// result sorts a system call's error: "not supported here" turns the
// writer off, anything else (an I/O error) is the caller's.
func result(err error) (ok bool, _ error) {
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, unix.ESPIPE), errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOSYS),
		errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.EBADF):
		return false, nil
	}
	return true, err
}
