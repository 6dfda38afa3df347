package execx

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestEnviron(t *testing.T) {
	base := []string{"PATH=/bin", "DEX_TOKEN=stale", "TOK_PASSPHRASE=secret", "HOME=/h", "NOEQUALS"}
	got := Environ(base, map[string]string{"DEX_TOKEN": "fresh", "B_TOKEN": "b", "A_TOKEN": "a"}, []string{"TOK_PASSPHRASE"})
	want := []string{"PATH=/bin", "HOME=/h", "NOEQUALS", "A_TOKEN=a", "B_TOKEN=b", "DEX_TOKEN=fresh"}
	if !slices.Equal(got, want) {
		t.Errorf("Environ =\n%q\nwant\n%q", got, want)
	}
}

func TestRunStatus(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("sh")
	}
	dir := t.TempDir()
	notExec := filepath.Join(dir, "script")
	os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644)
	for _, tc := range []struct {
		argv []string
		want int
		msg  string
	}{
		{[]string{"sh", "-c", "exit 0"}, 0, ""},
		{[]string{"sh", "-c", "exit 3"}, 3, ""},
		{[]string{"sh", "-c", "kill -TERM $$"}, 143, ""},
		{[]string{"sh", "-c", "kill -KILL $$"}, 137, ""},
		{[]string{"no-such-command-tok-test"}, NotFound, "command not found"},
		{[]string{filepath.Join(dir, "missing")}, NotFound, "command not found"},
		{[]string{notExec}, NotExecutable, "command cannot be run"},
		{[]string{dir}, NotExecutable, "command cannot be run"},
	} {
		var stderr strings.Builder
		code, err := Run(Spec{Argv: tc.argv, Stderr: &stderr})
		if code != tc.want {
			t.Errorf("%q: status %d, %v; want %d", tc.argv, code, err, tc.want)
		}
		var se *StartError
		switch {
		case tc.msg == "" && err != nil:
			t.Errorf("%q: %v", tc.argv, err)
		case tc.msg != "" && (!errors.As(err, &se) || se.Status != code || err.Error() != tc.argv[0]+": "+tc.msg):
			t.Errorf("%q: error %v, want a *StartError %q", tc.argv, err, tc.msg)
		}
		if stderr.Len() > 0 {
			t.Errorf("%q: execx wrote %q itself", tc.argv, stderr.String())
		}
	}
}

// setenvAllowed are the files that may set a variable of tok's own, and
// why: none of them sets a token.
var setenvAllowed = map[string]string{
	// puts back the user's own TOK_PASSPHRASE and client secrets after
	// hiding them from the system browser opener
	"browserenv.go": "restores the user's variables",
}

// Tokens never go into tok's own environment: no code of tok's sets a
// variable of its own process (but for setenvAllowed), so nothing it
// starts (browser opener, child) inherits a token by accident.
func TestNoSetenv(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return fs.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || setenvAllowed[d.Name()] != "" {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); ok && (x.Name == "os" || x.Name == "syscall" || x.Name == "unix") &&
				(sel.Sel.Name == "Setenv" || sel.Sel.Name == "Putenv") {
				t.Errorf("%s: %s.%s: tok must not change its own environment", fset.Position(sel.Pos()), x.Name, sel.Sel.Name)
			}
			return true
		})
		return nil
	})
}
