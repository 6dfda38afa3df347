package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/config"
	"github.com/tok-cli/tok/internal/gitcred"
	"github.com/tok-cli/tok/internal/provider"
)

func TestAnswersHost(t *testing.T) {
	tests := []struct {
		hosts []string
		host  string
		want  bool
	}{
		{[]string{"github.com"}, "github.com", true},
		{[]string{"github.com"}, "GitHub.com", true},
		{[]string{"github.com"}, "github.com:443", true},
		{[]string{"git.example.com:8443"}, "git.example.com:8443", true},
		{[]string{"git.example.com:8443"}, "git.example.com", false},
		{[]string{"git.example.com:8443"}, "git.example.com:22", false},
		{[]string{"github.com"}, "gist.github.com", false},
		{[]string{"github.com"}, "github.com.evil.example", false},
		{nil, "github.com", false},
	}
	for _, tt := range tests {
		if got := answersHost(tt.hosts, &gitcred.Request{Host: tt.host}); got != tt.want {
			t.Errorf("answersHost(%v, %q) = %v", tt.hosts, tt.host, got)
		}
	}
}

// The presets answer their forges with the username each expects.
func TestGitPresets(t *testing.T) {
	cfg := &config.Config{StateDir: t.TempDir()}
	none := func(string) (string, bool) { return "", false }
	for name, want := range map[string]struct{ host, user string }{
		"github": {"github.com", "x-access-token"},
		"gitlab": {"gitlab.com", ""},
	} {
		p, err := provider.Resolve(cfg, name, none)
		if err != nil {
			t.Fatal(err)
		}
		if !answersHost(p.Hosts, &gitcred.Request{Host: want.host}) || p.GitUsername != want.user {
			t.Errorf("%s: hosts %v, git_username %q", name, p.Hosts, p.GitUsername)
		}
	}
}

func TestForgetOldMarks(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	for name, age := range map[string]time.Duration{"old": 25 * time.Hour, "new": time.Hour} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, now.Add(-age), now.Add(-age))
	}
	forgetOldMarks(dir, now)
	if _, err := os.Stat(filepath.Join(dir, "old")); err == nil {
		t.Error("an old mark was kept")
	}
	if _, err := os.Stat(filepath.Join(dir, "new")); err != nil {
		t.Error("a recent mark was removed")
	}
}

// gitcredentials(7): a helper silently ignores an operation it does not
// know (README "git"), after reading the request; a missing operation is
// still a usage error.
func TestGitCredentialOtherOperations(t *testing.T) {
	t.Parallel()
	f := newFastTok(t)
	imported(f)
	for _, op := range []string{"capability", "frobnicate", "GET"} {
		in := strings.NewReader("protocol=https\nhost=github.com\ncapability[]=authtype\n\n")
		stdout, stderr, code := f.runIn(in, "git-credential", op)
		if code != 0 || stdout != "" || stderr != "" {
			t.Errorf("git-credential %s: exit %d, stdout %q, stderr %q; want exit 0 and no output", op, code, stdout, stderr)
		}
		if in.Len() != 0 {
			t.Errorf("git-credential %s left %d bytes of its request unread", op, in.Len())
		}
	}
	_, stderr, code := f.run("", "git-credential")
	if code != 2 || !strings.Contains(stderr, "tok: tok git-credential needs get, store or erase") {
		t.Errorf("git-credential without an operation: exit %d, stderr %q; want 2 and the usage", code, stderr)
	}
}
