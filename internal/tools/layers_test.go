package tools

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// layers is the README's Development list, top to bottom: a package may
// import those on its own line or below, never one above.
var layers = [][]string{
	{"cli"},
	{"token", "serve", "tokfile", "execx", "gitcred", "kubecred", "identity", "audit"},
	{"target", "mcp", "flow"},
	{"provider", "store", "config"},
	{"wire", "tokerr", "atomicfile", "etcdproto"},
}

const module = "github.com/tok-cli/tok/internal/"

func TestLayers(t *testing.T) {
	level := map[string]int{}
	for i, line := range layers {
		for _, p := range line {
			level[p] = i
		}
	}
	entries, err := os.ReadDir("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		pkg := e.Name()
		if !e.IsDir() || pkg == "testing" || pkg == "tools" || pkg == "etcdkv" {
			continue
		}
		from, ok := level[pkg]
		if !ok {
			t.Errorf("internal/%s is in no layer: add it here and to the README's Development section", pkg)
			continue
		}
		files, _ := filepath.Glob(filepath.Join("..", pkg, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			ast, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range ast.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				dep, internal := strings.CutPrefix(path, module)
				if !internal {
					continue
				}
				if to, ok := level[strings.Split(dep, "/")[0]]; ok && to < from {
					t.Errorf("%s imports internal/%s, a layer above it", f, dep)
				}
			}
		}
	}
}
