//go:build unix

package main

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/testing/testop"
)

// A browser opener that fails (README "Browser"), whether TOK_BROWSER's
// command or the system opener, is warned about once, and the login
// keeps waiting: the person opens the printed URL and the login ends
// well.
func TestLoginBrowserCommandFails(t *testing.T) {
	t.Parallel()
	// A system opener that fails as xdg-open does without a desktop.
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "xdg-open"), []byte("#!/bin/sh\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		env  []string
		want string
	}{
		{"TOK_BROWSER", []string{"TOK_BROWSER=false"}, "tok: warning: the browser command exited with status 1; open the URL above yourself"},
		{"system opener", []string{"TOK_BROWSER=", "PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH")},
			"tok: warning: the browser command exited with status 3; open the URL above yourself"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTokEnv(t, withEnv(tt.env...))
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := e.command(ctx, "login", "dex")
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { cancel(); waitOrKill(cmd, time.Minute) }()
			sc := bufio.NewScanner(stderr)
			var lines []string
			authURL := ""
			for sc.Scan() {
				line := sc.Text()
				lines = append(lines, line)
				if strings.Contains(line, "/authorize?") {
					authURL = strings.TrimSpace(line)
				}
				if line == tt.want {
					break
				}
			}
			if authURL == "" || lines[len(lines)-1] != tt.want {
				t.Fatalf("no URL, or no warning %q; stderr:\n%s", tt.want, strings.Join(lines, "\n"))
			}
			// tok waits on: the person opens the URL.
			if _, _, err := testop.Browse(ctx, authURL, testop.User, testop.Password); err != nil {
				t.Fatal(err)
			}
			for sc.Scan() {
				lines = append(lines, sc.Text())
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("login: %v; stderr:\n%s", err, strings.Join(lines, "\n"))
			}
			all := strings.Join(lines, "\n")
			if !strings.Contains(all, "tok: logged in to dex") || strings.Count(all, "warning") != 1 {
				t.Errorf("want one warning, then the login; stderr:\n%s", all)
			}
		})
	}
}
