// Package atomicfile replaces files so that a reader, or a process
// restarted after a kill, sees the old content or the new, never a mix.
package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
)

// TempPrefix starts the names of temporary files, which listings skip.
const TempPrefix = ".tmp-"

// Write replaces dir/name with data, mode 0600: temp file in the
// same directory, fsync, rename, fsync of the directory. A reader, or a
// process restarted after a kill, sees the old content or the new, never a
// mix.
func Write(dir, name string, data []byte) (err error) {
	f, err := os.CreateTemp(dir, TempPrefix+"*") // CreateTemp makes it 0600
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Chmod(0o600); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), filepath.Join(dir, name)); err != nil {
		return err
	}
	return SyncDir(dir)
}

// SyncDir makes a rename or removal durable. Windows and some file systems cannot
// fsync a directory; the rename has happened by then, so that is no error.
func SyncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}
