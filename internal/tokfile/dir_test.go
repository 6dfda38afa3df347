package tokfile

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestDirIsPrivateAndWritesAtomically(t *testing.T) {
	run := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", run)
	d, err := NewDir()
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(d.Path) != run || !strings.HasPrefix(filepath.Base(d.Path), "tok-exec-") {
		t.Errorf("dir %s, want tok-exec-* in XDG_RUNTIME_DIR", d.Path)
	}
	for _, v := range []string{"first", "second, longer than the first", "3"} {
		if err := d.Write("X_TOKEN", []byte(v)); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(d.File("X_TOKEN")); string(b) != v {
			t.Errorf("file holds %q, want %q", b, v)
		}
	}
	entries, _ := os.ReadDir(d.Path)
	if len(entries) != 1 {
		t.Errorf("dir holds %d entries, want the one file (no temp files left)", len(entries))
	}
	if runtime.GOOS != "windows" {
		di, _ := os.Stat(d.Path)
		fi, _ := os.Stat(d.File("X_TOKEN"))
		if di.Mode().Perm() != 0o700 || fi.Mode().Perm() != 0o600 {
			t.Errorf("modes dir %o file %o, want 700 and 600", di.Mode().Perm(), fi.Mode().Perm())
		}
	}
	if err := d.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d.Path); !os.IsNotExist(err) {
		t.Errorf("dir still there after Remove: %v", err)
	}
}

func TestDirFallsBackToTempDir(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", filepath.Join(t.TempDir(), "missing"))
	d, err := NewDir()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Remove()
	if filepath.Dir(d.Path) != filepath.Clean(os.TempDir()) {
		t.Errorf("dir %s, want it in %s", d.Path, os.TempDir())
	}
}
