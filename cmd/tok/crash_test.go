//go:build unix

package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/testing/syncbuf"
)

// loginExpiring logs dex in with a token that has ttl left; tokens issued
// later live five minutes.
func (e *tokEnv) loginExpiring(ttl time.Duration) {
	e.t.Helper()
	e.op.SetAccessTTL(ttl)
	e.run("login", "dex")
	e.op.SetAccessTTL(5 * time.Minute)
}

// killWhenHeld starts tok, waits until the provider holds its token
// request or response, and kills tok with SIGKILL.
func killWhenHeld(t *testing.T, e *tokEnv, args ...string) {
	t.Helper()
	cmd := e.tok(args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for e.op.Held() == 0 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal("tok sent no token request")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
}

// kill -9 while the refresh request is on its way: the provider changed
// nothing, the lock died with the process, the next run refreshes.
func TestKillBeforeTheProviderRotates(t *testing.T) {
	t.Parallel()
	e := newTokEnv(t)
	e.loginExpiring(2 * time.Minute)
	before := e.run("print", "dex")
	e.op.SetTokenDelay(time.Minute)
	killWhenHeld(t, e, "print", "dex", "--min-ttl", "3m")
	e.op.SetTokenDelay(0)

	out, stderr, code := e.result("print", "dex", "--min-ttl", "3m")
	if code != 0 || out == before {
		t.Fatalf("next run: exit %d, same token %v, stderr %s", code, out == before, stderr)
	}
	if strings.Contains(stderr, "waiting") {
		t.Errorf("the dead process's lock made the next run wait: %s", stderr)
	}
	if n := e.op.Count("refresh_token"); n != 2 {
		t.Errorf("%d refresh requests, want 2 (the killed one and the next)", n)
	}
}

// kill -9 after the provider rotated the refresh token but before tok
// stored the new pair. The stored pair stays readable: its access token is
// served while it lasts. Its refresh token is now spent (strict rotation:
// the provider's rule), so a refresh needs a new login, which tok says
// with exit 4 and the command, not with a store error.
func TestKillAfterTheProviderRotated(t *testing.T) {
	t.Parallel()
	e := newTokEnv(t)
	e.loginExpiring(2 * time.Minute)
	before := e.run("print", "dex")
	e.op.SetTokenResponseDelay(time.Minute)
	killWhenHeld(t, e, "print", "dex", "--min-ttl", "3m")
	e.op.SetTokenResponseDelay(0)

	if out, stderr, code := e.result("print", "dex"); code != 0 || out != before {
		t.Fatalf("stored token after the kill: exit %d, same %v, stderr %s", code, out == before, stderr)
	}
	_, stderr, code := e.result("print", "dex", "--min-ttl", "3m")
	if code != 4 || !strings.HasPrefix(stderr, "tok: no usable login for dex: the provider rejected the refresh") ||
		!strings.HasSuffix(stderr, "; run: tok login dex\n") {
		t.Fatalf("refresh with the spent token: exit %d, stderr %q; want exit 4 and the login hint", code, stderr)
	}
	e.run("status", "dex")
	e.run("login", "dex")
	e.run("print", "dex", "--min-ttl", "3m")
}

// kill -9 at random moments of `tok print` while it refreshes: every time
// the stored login stays readable; the next run either carries on or
// (rotation lost with the killed process) asks for a login with exit 4.
func TestKillAtAnyMomentOfARefresh(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("kills 20 refreshes")
	}
	// Four logins of their own take five kills each, side by side.
	for shard := range 4 {
		t.Run(fmt.Sprintf("kills %d-%d", 5*shard, 5*shard+4), func(t *testing.T) {
			t.Parallel()
			killDuringRefreshes(t, 5)
		})
	}
}

func killDuringRefreshes(t *testing.T, kills int) {
	e := newTokEnv(t)
	e.loginExpiring(2 * time.Minute)
	// How long one refreshing run takes here, to spread the kills over it.
	start := time.Now()
	e.run("print", "dex", "--min-ttl", "3m")
	span := time.Since(start)
	e.loginExpiring(2 * time.Minute)
	lost := 0
	for i := range kills {
		cmd := e.tok("print", "dex", "--min-ttl", "3m")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(rand.N(span + span/4))
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		if _, stderr, code := e.result("print", "dex", "--min-ttl", "0s"); code != 0 {
			t.Fatalf("kill %d: the stored token is not readable: exit %d %s", i, code, stderr)
		}
		_, stderr, code := e.result("print", "dex", "--min-ttl", "3m")
		switch {
		case code == 4 && strings.Contains(stderr, "run: tok login dex"):
			lost++
		case code != 0:
			t.Fatalf("kill %d: next refresh: exit %d %s", i, code, stderr)
		}
		e.loginExpiring(2 * time.Minute)
	}
	t.Logf("%d kills: %d lost the rotated refresh token with the process", kills, lost)
}

// A waiting process says what it waits for, and gets the token the holder
// refreshed: one refresh request.
func TestLockWaitSaysWhy(t *testing.T) {
	t.Parallel()
	e := newTokEnv(t)
	e.loginExpiring(2 * time.Minute)
	// The provider holds the holder's refresh until the waiter has said
	// it waits (or a minute passes), so a slow start of the waiter on a
	// loaded machine cannot find the lock already free.
	e.op.SetTokenDelay(time.Minute)
	holder := e.tok("print", "dex", "--min-ttl", "3m")
	var holderOut bytes.Buffer
	holder.Stdout = &holderOut
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	for e.op.Held() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	waiter := e.tok("print", "dex", "--min-ttl", "3m")
	var waiterOut bytes.Buffer
	stderr := &syncBuffer{}
	waiter.Stdout, waiter.Stderr = &waiterOut, stderr
	if err := waiter.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); !strings.Contains(stderr.String(), "waiting") && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	e.op.ReleaseHeld()
	if err := holder.Wait(); err != nil {
		t.Fatal(err)
	}
	code := exitCode(waiter.Wait())
	if code != 0 || waiterOut.String() != holderOut.String() {
		t.Errorf("waiter: exit %d, same token as the holder %v, stderr %s", code, waiterOut.String() == holderOut.String(), stderr)
	}
	if stderr.String() != "tok: waiting for another tok process refreshing dex:default\n" {
		t.Errorf("waiter said %q", stderr.String())
	}
	if n := e.op.Count("refresh_token"); n != 1 {
		t.Errorf("%d refresh requests, want 1", n)
	}
}

// syncBuffer is what a child process writes while the test reads.
type syncBuffer = syncbuf.Buffer
