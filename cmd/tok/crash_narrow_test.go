//go:build unix

package main

import (
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"
)

// kill -9 while a narrowing refresh is on its way: the login is untouched
// and the lock died with the process; the next narrowed and plain prints
// carry on (README "Narrowed tokens": the same crash safety as any
// refresh).
func TestKillDuringNarrowing(t *testing.T) {
	t.Parallel()
	e := newTokEnv(t)
	e.loginExpiring(5 * time.Minute)
	before := e.run("print", "dex")
	e.op.SetTokenDelay(time.Minute)
	killWhenHeld(t, e, "print", "dex", "--scope", "openid")
	e.op.SetTokenDelay(0)

	if out := e.run("print", "dex"); out != before {
		t.Error("the login's token changed although the provider answered nothing")
	}
	out, stderr, code := e.result("print", "dex", "--scope", "openid")
	if code != 0 || out == before || strings.Contains(stderr, "waiting") {
		t.Fatalf("next narrowed print: exit %d, the login's token %v, stderr %s", code, out == before, stderr)
	}
	e.run("print", "dex", "--min-ttl", "10m")
}

// kill -9 at random moments of a narrowing print: the stored login stays
// readable every time.
func TestKillAtAnyMomentOfANarrowing(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("kills 5 narrowings")
	}
	e := newTokEnv(t)
	e.loginExpiring(5 * time.Minute)
	start := time.Now()
	e.run("print", "dex", "--scope", "openid", "--min-ttl", "10m")
	span := time.Since(start)
	for i := range 5 {
		cmd := e.tok("print", "dex", "--scope", "openid", "--min-ttl", "10m")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(rand.N(span + span/4))
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if _, stderr, code := e.result("status", "dex"); code != 0 {
			t.Fatalf("kill %d: status: exit %d %s", i, code, stderr)
		}
		_, stderr, code := e.result("print", "dex", "--scope", "openid", "--min-ttl", "10m")
		switch {
		case code == 4 && strings.Contains(stderr, "run: tok login dex"):
			// The rotated refresh token died with the process.
			e.loginExpiring(5 * time.Minute)
		case code != 0:
			t.Fatalf("kill %d: next narrowed print: exit %d %s", i, code, stderr)
		}
	}
}
