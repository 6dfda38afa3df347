package store

import (
	"fmt"
	"os"

	"github.com/tok-cli/tok/internal/atomicfile"
)

const tempPrefix = atomicfile.TempPrefix

// writeFileAtomic is atomicfile.Write: the store's files survive kills.
var writeFileAtomic = atomicfile.Write

// ensurePrivateDir creates dir with mode 0700, and tightens an existing dir
// that others can read: it may hold secrets or say who is logged in where.
func ensurePrivateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return os.Chmod(dir, 0o700)
	}
	return nil
}
