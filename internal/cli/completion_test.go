package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tok-cli/tok/internal/store"
)

// The scripts in completions/ are what `make completions` writes: this
// fails when they are stale. Run `make completions` and commit the result.
func TestCompletionsUpToDate(t *testing.T) {
	for shell, file := range map[string]string{"bash": "tok.bash", "zsh": "_tok", "fish": "tok.fish", "powershell": "tok.ps1"} {
		var out bytes.Buffer
		a := NewApp(strings.NewReader(""), &out, &out)
		if code := a.Run(t.Context(), []string{"completion", shell}); code != 0 {
			t.Fatalf("tok completion %s: exit %d: %s", shell, code, out.String())
		}
		committed, err := os.ReadFile(filepath.Join("..", "..", "completions", file))
		if err != nil {
			t.Fatalf("%v: run make completions", err)
		}
		if !bytes.Equal(committed, out.Bytes()) {
			t.Errorf("completions/%s is stale: run make completions", file)
		}
	}
}

// Completion offers provider names (built-in and configured) and stored
// PROVIDER:ACCOUNT logins, through cobra's __complete command that every
// shell script calls.
func TestCompleteTargets(t *testing.T) {
	state := t.TempDir()
	cfg := writeConfig(t, "config.yaml", "providers:\n  dex:\n    issuer: https://id.example.com\n    client_id: c\n")
	idx := store.NewIndex(state)
	for _, acct := range []string{"default", "work"} {
		if err := idx.Put(store.Entry{Provider: "dex", Account: acct, Store: "file"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, verb := range []string{"print", "token", "login", "logout", "refresh", "status", "exec"} {
		var out, errOut bytes.Buffer
		a := NewApp(strings.NewReader(""), &out, &errOut)
		env := map[string]string{"TOK_CONFIG": cfg, "TOK_STATE_DIR": state, "TOK_STORE": "file"}
		a.LookupEnv = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
		if code := a.Run(t.Context(), []string{"__complete", verb, ""}); code != 0 {
			t.Fatalf("__complete %s: exit %d: %s", verb, code, errOut.String())
		}
		got := strings.Split(strings.TrimSpace(out.String()), "\n")
		for _, want := range []string{"dex", "dex:work", "github", "google"} {
			if !containsLine(got, want) {
				t.Errorf("__complete %s offers %q, want %s among them", verb, got, want)
			}
		}
		if containsLine(got, "dex:default") {
			t.Errorf("__complete %s offers dex:default, which is written dex", verb)
		}
		if last := got[len(got)-1]; last != ":4" {
			t.Errorf("__complete %s directive %q, want :4 (no file completion)", verb, last)
		}
	}
}

func containsLine(lines []string, s string) bool {
	for _, l := range lines {
		if l == s || strings.HasPrefix(l, s+"\t") {
			return true
		}
	}
	return false
}
