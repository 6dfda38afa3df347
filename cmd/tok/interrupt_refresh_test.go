//go:build unix

package main

import (
	"bufio"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/testing/testop"
)

// Ctrl-C, SIGTERM or SIGHUP (terminal closed) while the provider holds
// the answer to a refresh it has already made (strict rotation: the
// stored refresh token is spent then): tok says it finishes the refresh,
// stores the answer, and only then exits 130 (README "print"). The login
// still refreshes, so the provider never saw the spent refresh token
// again. The audit log records the refresh, and no refusal: tok refused
// nothing (README "Audit log").
func TestInterruptDuringRefreshKeepsTheLogin(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		sig  syscall.Signal
		args []string
	}{
		{"print, SIGINT", syscall.SIGINT, []string{"print", "dex", "--min-ttl", "3m"}},
		{"print, SIGHUP", syscall.SIGHUP, []string{"print", "dex", "--min-ttl", "3m"}},
		{"exec, SIGHUP", syscall.SIGHUP, []string{"exec", "dex", "--min-ttl", "3m", "--", "exit-with", "0"}},
		{"exec, SIGTERM", syscall.SIGTERM, []string{"exec", "dex", "--min-ttl", "3m", "--", "exit-with", "0"}},
		{"narrowing, SIGINT", syscall.SIGINT, []string{"print", "dex", "--scope", "openid", "--min-ttl", "3m"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newTokEnv(t)
			e.loginExpiring(2 * time.Minute)
			e.op.SetTokenResponseDelay(time.Hour) // until ReleaseHeld
			stderr, code := interruptWhenHeld(t, e, opHolder{e.op}, tc.sig, tc.args...)
			if code != 130 || !strings.Contains(stderr, "tok: finishing the refresh of dex under way before stopping") ||
				!strings.HasSuffix(stderr, "tok: interrupted\n") {
				t.Fatalf("exit %d, stderr:\n%s\nwant exit 130 and tok: interrupted", code, stderr)
			}
			if n := e.op.Count("refresh_token"); n != 1 {
				t.Fatalf("%d refresh requests before the next run, want 1", n)
			}
			log := e.run("audit", "--json")
			if !strings.Contains(log, `"event":"refresh"`) || strings.Contains(log, `"event":"refusal"`) ||
				strings.Contains(log, "context canceled") {
				t.Errorf("audit log after the interrupted refresh, want its refresh and no refusal:\n%s", log)
			}
			// The rotated refresh token was stored: refreshing works.
			e.run("refresh", "dex")
			if out, stderr, code := e.result("print", "dex", "--min-ttl", "3m"); code != 0 || out == "" {
				t.Fatalf("after the interrupted refresh: exit %d %s", code, stderr)
			}
			if n := e.op.Count("refresh_token"); n != 2 {
				t.Errorf("%d refresh requests, want 2 (the interrupted one, tok refresh)", n)
			}
		})
	}
}

// heldAnswers is a token endpoint that holds its answers: Held says how
// many it holds now, Release lets them go and holds no more.
type heldAnswers interface {
	Held() int
	Release()
}

// opHolder is the in-process provider as a heldAnswers, once a test has
// set its response delay.
type opHolder struct{ op *testop.Server }

func (h opHolder) Held() int { return h.op.Held() }

func (h opHolder) Release() {
	h.op.SetTokenResponseDelay(0)
	h.op.ReleaseHeld()
}

// interruptWhenHeld starts tok, waits until the provider holds its token
// response, sends sig, waits for tok to say it finishes the refresh (or
// to end without saying so), lets the provider answer, and returns tok's
// stderr and exit status.
func interruptWhenHeld(t *testing.T, e *tokEnv, h heldAnswers, sig syscall.Signal, args ...string) (string, int) {
	t.Helper()
	cmd := e.tok(args...)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer h.Release()
	deadline := time.Now().Add(15 * time.Second)
	for h.Held() == 0 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal("tok sent no token request")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	sc := bufio.NewScanner(pipe)
	for sc.Scan() {
		stderr.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "finishing the refresh of") {
			break
		}
	}
	h.Release()
	for sc.Scan() {
		stderr.WriteString(sc.Text() + "\n")
	}
	return stderr.String(), exitCode(cmd.Wait())
}
