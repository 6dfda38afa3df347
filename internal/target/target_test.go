package target

import (
	"strings"
	"testing"

	"github.com/tok-cli/tok/internal/tokerr"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Target
		str  string
		bad  bool
	}{
		{in: "github", want: Target{Provider: "github", Account: "default"}, str: "github"},
		{in: "github:work", want: Target{Provider: "github", Account: "work"}, str: "github:work"},
		{in: "my.idp_1:a-b", want: Target{Provider: "my.idp_1", Account: "a-b"}, str: "my.idp_1:a-b"},
		{in: "https://mcp.example.com/mcp", want: Target{URL: "https://mcp.example.com/mcp", Account: "default"}, str: "https://mcp.example.com/mcp"},
		{in: "", bad: true},
		{in: "github:", bad: true},
		{in: ":work", bad: true},
		{in: "git hub", bad: true},
		{in: "a/b", bad: true},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if tt.bad {
			if tokerr.ExitCode(err) != int(tokerr.Usage) {
				t.Errorf("Parse(%q) err = %v, want a usage error", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want || got.String() != tt.str {
			t.Errorf("Parse(%q) = %+v (%q), %v", tt.in, got, got.String(), err)
		}
	}
}

// FuzzParse reads targets as written on the command line.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"dex", "dex:work", "dex:", ":a", "https://mcp.example.com/mcp", "a:b:c", "../x", "dex:default"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := Parse(s)
		if err != nil {
			if tokerr.ExitCode(err) != int(tokerr.Usage) {
				t.Fatalf("exit %d", tokerr.ExitCode(err))
			}
			return
		}
		if tg.URL != "" {
			return
		}
		// Names become parts of keyring keys and (escaped or hashed) file
		// names: no separators. "." and ".." are fine for that reason.
		for _, n := range []string{tg.Provider, tg.Account} {
			if n == "" || strings.ContainsAny(n, "/\\:\x00") {
				t.Fatalf("name %q from %q", n, s)
			}
		}
		again, err := Parse(tg.String())
		if err != nil || again != tg {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", s, tg, tg.String(), again, err)
		}
	})
}
