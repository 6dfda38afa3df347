package cli

import (
	"os"
	"path/filepath"
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
