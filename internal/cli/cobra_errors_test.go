package cli

import (
	"bytes"
	"strings"
	"testing"
)

// Cobra's own errors (unknown command, flag and argument errors) are usage
// errors, exit 2, on one line: typed where they arise, not recognised by
// their text.
func TestCobraErrorsAreUsage(t *testing.T) {
	state := t.TempDir()
	cfg := writeConfig(t, "config.yaml", "providers:\n  dex:\n    issuer: https://id.example.com\n    client_id: c\n")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"prnt", "dex"}, "(did you mean print?)"},
		{[]string{"print", "dex", "--frob"}, "unknown flag: --frob"},
		{[]string{"print", "dex", "-z"}, "unknown shorthand flag: 'z'"},
		{[]string{"print", "dex", "--min-ttl", "soon"}, `--min-ttl "soon" is not a duration like 30s, 5m or 1h; run: tok print --help`},
		{[]string{"audit", "--since", "2026-11-30"}, `--since "2026-11-30" is not a duration`},
		{[]string{"print", "dex", "--format"}, "flag needs an argument"},
		{[]string{"print"}, "needs a TARGET"},
		{[]string{"print", "dex", "extra"}, `tok print takes a TARGET (PROVIDER[:ACCOUNT] or an MCP server URL), not also "extra"`},
		{[]string{"status", "dex", "gh"}, `takes at most one TARGET, not "gh"`},
		{[]string{"audit", "dex", "gh"}, `takes at most one TARGET, not "gh"`},
		{[]string{"version", "extra"}, "needs no arguments"},
		{[]string{"profiles", "extra"}, "needs no arguments"},
		{[]string{"help", "nosuch"}, `unknown help topic "nosuch"`},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		a := NewApp(strings.NewReader(""), &out, &errOut)
		env := map[string]string{"TOK_CONFIG": cfg, "TOK_STATE_DIR": state}
		a.LookupEnv = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
		code := a.Run(t.Context(), tt.args)
		line := errOut.String()
		if code != 2 || !strings.HasPrefix(line, "tok: ") || strings.Count(line, "\n") != 1 || !strings.Contains(line, tt.want) {
			t.Errorf("tok %s: exit %d, stderr %q; want exit 2 and one line with %q", strings.Join(tt.args, " "), code, line, tt.want)
		}
	}
}
