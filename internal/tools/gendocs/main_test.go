package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every command gets a man page that names it and its flags.
func TestWriteMan(t *testing.T) {
	dir := t.TempDir()
	if err := writeMan(dir); err != nil {
		t.Fatal(err)
	}
	for page, want := range map[string]string{
		"tok.1":        "OAuth 2.0 tokens",
		"tok-login.1":  `\fB--device\fP`,
		"tok-print.1":  `\fB--format\fP`,
		"tok-exec.1":   "tok exec",
		"tok-status.1": "tok status",
		"tok-logout.1": `\fB--no-revoke\fP`,
		// every command shows how it is used; the help topics get pages
		"tok-refresh.1":     ".SH EXAMPLE",
		"tok-exit-codes.1":  "130  interrupted",
		"tok-environment.1": "TOK_STATE_DIR",
	} {
		b, err := os.ReadFile(filepath.Join(dir, page))
		if err != nil {
			t.Errorf("%s: %v", page, err)
			continue
		}
		s := string(b)
		if !strings.HasPrefix(s, ".nh\n.TH \"TOK\" \"1\"") || !strings.Contains(s, want) {
			t.Errorf("%s lacks %q:\n%.400s", page, want, s)
		}
	}
}
