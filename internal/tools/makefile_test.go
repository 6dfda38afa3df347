package tools

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var fuzzFunc = regexp.MustCompile(`(?m)^func (Fuzz\w+)\(f \*testing\.F\)`)

// Every fuzz target in the tree is in the Makefile's FUZZ list, so that
// `make fuzz` explores it and not only the corpus replay of `go test`.
func TestMakeFuzzListsEveryTarget(t *testing.T) {
	mk, err := os.ReadFile(filepath.Join("..", "..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join("..", "..")
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		for _, m := range fuzzFunc.FindAllStringSubmatch(string(b), -1) {
			entry := "./" + filepath.ToSlash(rel) + ":" + m[1]
			if !strings.Contains(string(mk), entry) {
				t.Errorf("Makefile FUZZ lacks %s", entry)
			}
		}
		return nil
	})
}
