//go:build linux || darwin || freebsd

package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// --timeout bounds the whole login (README "login"), a passphrase prompt
// on the terminal included; Ctrl-C ends it as it ends the flow. Either
// way the terminal gets its echo back and nothing is stored. CI=true, as
// in the tryout that sat at the prompt for ten minutes: login waits for
// a person in CI too, so it may ask.
func TestLoginPassphrasePromptEnds(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		ctrlC bool
		code  int
		last  string
	}{
		{"timeout", false, 1, `tok: login to svc timed out after 2s; run tok login svc again, or give it more time with --timeout`},
		{"Ctrl-C", true, 130, `tok: interrupted`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newTokEnv(t, withoutStoreSecret(), withEnv("CI=true"))
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd, screen, ptmx, tty, _ := h.onTerminal(t, ctx, true, "login", "svc", "--timeout", "2s")
			screen.waitFor(t, regexp.MustCompile(`choose a passphrase for the file store`))
			if tt.ctrlC {
				ptmx.Write([]byte{3})
			}
			if code := waitExit(t, cmd, screen, regexp.MustCompile(regexp.QuoteMeta(tt.last))); code != tt.code {
				t.Fatalf("exit %d, want %d\n%s", code, tt.code, screen)
			}
			if !echoOn(int(tty.Fd())) {
				t.Error("the terminal was left without echo")
			}
			if entries, _ := os.ReadDir(filepath.Join(h.state, "secrets")); len(entries) > 0 {
				t.Errorf("the ended login stored %d files", len(entries))
			}
			if n := h.op.Count("client_credentials"); n != 0 {
				t.Errorf("the ended login fetched %d tokens", n)
			}
		})
	}
}

// In CI, print, exec and refresh never wait for a person (README
// "Headless machines, SSH, WSL and CI"): at a terminal too, they ask for
// no passphrase and exit 5 at once, naming the variables that give one.
func TestNoPassphrasePromptInCI(t *testing.T) {
	t.Parallel()
	h := newTokEnv(t, withoutStoreSecret(), withEnv("CI=true"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, args := range [][]string{{"print", "svc"}, {"exec", "svc", "--", "true"}, {"refresh", "svc"}} {
		cmd, screen, _, _, _ := h.onTerminal(t, ctx, true, args...)
		if code := waitExit(t, cmd, screen, regexp.MustCompile(`TOK_PASSPHRASE`)); code != 5 {
			t.Fatalf("tok %s: exit %d, want 5\n%s", strings.Join(args, " "), code, screen)
		}
		if strings.Contains(screen.String(), "passphrase for the file store:") {
			t.Errorf("tok %s asked for a passphrase in CI:\n%s", strings.Join(args, " "), screen)
		}
	}
}
