package token

import (
	"testing"

	"github.com/tok-cli/tok/internal/tokerr"
)

func TestParseTarget(t *testing.T) {
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
		got, err := ParseTarget(tt.in)
		if tt.bad {
			if tokerr.ExitCode(err) != int(tokerr.Usage) {
				t.Errorf("ParseTarget(%q) err = %v, want a usage error", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want || got.String() != tt.str {
			t.Errorf("ParseTarget(%q) = %+v (%q), %v", tt.in, got, got.String(), err)
		}
	}
}
