package main

import (
	"os/exec"
	"testing"
	"time"
)

// node oidc-provider, which revokes the grant when a spent refresh token
// comes back, with tokens of 70s and 40 runs at once asking --min-ttl 2m
// (README "print"): one refresh request, one token for all, and the grant
// intact afterwards.
func TestRealProviderMinTTLOverLifetime(t *testing.T) {
	t.Parallel()
	e, op := newRealEnv(t)
	op.setTTL(t, 70*time.Second)
	e.run("login", "real")
	outs, errs := runAtOnce(40, func() *exec.Cmd { return e.tok("print", "real", "--min-ttl", "2m") })
	for i := range outs {
		if errs[i] != nil || outs[i] != outs[0] {
			t.Fatalf("run %d: %v, same as the others %v", i, errs[i], outs[i] == outs[0])
		}
	}
	if n, bad := op.refreshes(t); n != 1 || bad != 0 {
		t.Fatalf("%d refresh requests, %d errors; want 1 and 0", n, bad)
	}
	e.run("refresh", "real")
	if n, bad := op.refreshes(t); n != 2 || bad != 0 {
		t.Fatalf("after tok refresh: %d refresh requests, %d errors", n, bad)
	}
}
