package cli

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tok-cli/tok/internal/flow"
	"github.com/tok-cli/tok/internal/tokerr"
)

func TestSplitShell(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{"firefox", []string{"firefox"}, ""},
		{"  firefox  --new-window ", []string{"firefox", "--new-window"}, ""},
		{`"/mnt/c/Program Files/Mozilla Firefox/firefox.exe" -P work`, []string{"/mnt/c/Program Files/Mozilla Firefox/firefox.exe", "-P", "work"}, ""},
		{`'/opt/my browser/run' --x`, []string{"/opt/my browser/run", "--x"}, ""},
		{`/opt/my\ browser/run`, []string{"/opt/my browser/run"}, ""},
		{`"a \"b\" \\ \$ \x"`, []string{`a "b" \ $ \x`}, ""},
		{`a''b ""`, []string{"ab", ""}, ""},
		{`'it''s'`, []string{"its"}, ""},
		{"", nil, ""},
		{`"open`, nil, "a double quote is not closed"},
		{`'open`, nil, "a single quote is not closed"},
		{`open\`, nil, "it ends with a lone backslash"},
	}
	for _, tt := range tests {
		got, err := splitShell(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("splitShell(%q) err = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("splitShell(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestBrowserCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Program Files", "Mozilla Firefox")
	os.MkdirAll(dir, 0o755)
	exe := filepath.Join(dir, "firefox.exe")
	os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755)
	notExe := filepath.Join(dir, "readme.txt")
	os.WriteFile(notExe, nil, 0o644)
	onPath := func(name string) (string, error) {
		if name == "firefox" || name == "wslview" {
			return "/usr/bin/" + name, nil
		}
		return "", errors.New("not found")
	}
	const u = "https://id.example/authorize?x=1"
	tests := []struct {
		value   string
		want    []string
		wantErr string
	}{
		{exe, []string{exe, u}, ""},                                   // spaces, used whole
		{" " + exe + " ", []string{exe, u}, ""},                       // trimmed
		{`"` + exe + `" -P work`, []string{exe, "-P", "work", u}, ""}, // quoted
		{strings.ReplaceAll(exe, " ", `\ `), []string{exe, u}, ""},    // escaped
		{"firefox --new-window", []string{"firefox", "--new-window", u}, ""},
		{"wslview", []string{"wslview", u}, ""},
		{"firefox --url=%s --x", []string{"firefox", "--url=" + u, "--x"}, ""},
		{"nosuchbrowser:firefox --private-window", []string{"firefox", "--private-window", u}, ""}, // a list
		{"nosuch:alsonot", nil, "no program nosuch:alsonot to run"},
		{"firefox --url=http://x:%s", []string{"firefox", "--url=http://x:" + u}, ""}, // a colon, not a list
		{exe + " --private", nil, "no program"},                                       // neither whole nor split
		{"nosuchbrowser", nil, "no program nosuchbrowser to run"},
		{notExe, nil, "no program"},
		{`"` + exe, nil, "a double quote is not closed"},
		{`''`, nil, "no program  to run"},
	}
	for _, tt := range tests {
		got, err := browserCommand("BROWSER", tt.value, u, onPath)
		if tt.wantErr == "" {
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%q: %q, %v; want %q", tt.value, got, err, tt.want)
			}
			continue
		}
		var be *flow.BrowserError
		if !errors.As(err, &be) || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%q: err = %v, want a BrowserError with %q", tt.value, err, tt.wantErr)
			continue
		}
		if tokerr.ExitCode(err) != 2 || !strings.Contains(tokerr.HintOf(err), "set BROWSER to the browser's path") {
			t.Errorf("%q: exit %d, hint %q", tt.value, tokerr.ExitCode(err), tokerr.HintOf(err))
		}
	}
}

// FuzzSplitShell splits BROWSER values as a user writes them: no panic,
// and words without quote or escape characters come back as they were.
func FuzzSplitShell(f *testing.F) {
	for _, s := range []string{`firefox`, `"/mnt/c/Program Files/x.exe" -P w`, `a\ b`, `'x'"y"z`, `"\"`, `\`, `'`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := splitShell(s)
		if err != nil {
			return
		}
		if !strings.ContainsAny(s, "'\"\\") {
			blank := func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' }
			if want := strings.FieldsFunc(s, blank); !reflect.DeepEqual(words, want) && !(len(words) == 0 && len(want) == 0) {
				t.Fatalf("splitShell(%q) = %q, want %q", s, words, want)
			}
		}
	})
}
