package cli

import (
	"testing"

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
