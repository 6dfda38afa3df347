package tokfile

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/tok-cli/tok/internal/atomicfile"
)

// Dir is a private directory of token files.
type Dir struct {
	Path string
}

// NewDir creates a directory only its owner can enter, in
// $XDG_RUNTIME_DIR when there is one (memory-backed, emptied at logout,
// so even a tok killed with -9 leaves nothing on disk for long), else in
// the system temp dir.
func NewDir() (*Dir, error) {
	base := os.Getenv("XDG_RUNTIME_DIR")
	if fi, err := os.Stat(base); base == "" || err != nil || !fi.IsDir() {
		base = os.TempDir()
	}
	path, err := os.MkdirTemp(base, "tok-exec-")
	if err != nil {
		return nil, fmt.Errorf("cannot create a directory for token files: %w", err)
	}
	// MkdirTemp makes it 0700 already; say so whatever the umask did.
	if err := os.Chmod(path, 0o700); err != nil {
		os.RemoveAll(path)
		return nil, fmt.Errorf("cannot make the token file directory private: %w", err)
	}
	return &Dir{Path: path}, nil
}

// File is the path of the file called name.
func (d *Dir) File(name string) string { return filepath.Join(d.Path, name) }

// Write replaces the file called name with value, mode 0600: a temp file
// renamed over the old one, so that a reader gets the old token or the
// new, never a part of one.
func (d *Dir) Write(name string, value []byte) error {
	return atomicfile.Write(d.Path, name, value)
}

// Remove deletes the directory and every file in it.
func (d *Dir) Remove() error { return os.RemoveAll(d.Path) }
