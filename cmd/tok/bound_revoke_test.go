package main

import (
	"context"
	"strings"
	"testing"

	"github.com/tok-cli/tok/internal/store"
)

// A login's tokens are revoked only at the revocation endpoint it was
// made with (README "A login stays with its server"): with the issuer,
// client_id and token endpoint unchanged but TOK_DEX_REVOCATION_URL on
// another server, exec --revoke-on-exit exits 4 before minting, logout
// forgets the login without revoking, and a refresh meanwhile does not
// make the new endpoint the login's. A record from before tok recorded the
// revocation endpoint is revoked only on its token endpoint's or issuer's
// origin. The other server never gets a revocation.
func TestRevocationStaysWithItsServer(t *testing.T) {
	t.Parallel()
	e := newTokEnv(t)
	other := startOtherOP(t)
	moved := e.with("TOK_DEX_REVOCATION_URL=" + other.Issuer + "/revoke")
	e.run("login", "dex")

	_, stderr, code := moved.result("exec", "dex", "--revoke-on-exit", "--", "exit-with", "0")
	want := "tok: no usable login for dex: it was made with revocation endpoint " + e.op.Issuer +
		", and dex's revocation endpoint is now at " + other.Issuer + ": its tokens are not sent there; run: tok login dex\n"
	if code != 4 || stderr != want {
		t.Errorf("exec --revoke-on-exit with another revocation endpoint: exit %d, stderr %q, want exit 4 and %q", code, stderr, want)
	}
	if n := e.op.Count("refresh_token"); n != 0 {
		t.Errorf("%d tokens minted for a run refused up front", n)
	}
	// The token endpoint is the login's: refreshing works, and does not
	// record the other revocation endpoint.
	moved.run("refresh", "dex")
	_, stderr, code = moved.result("logout", "dex")
	if code != 0 || !strings.Contains(stderr, "tok: warning: did not revoke the tokens of dex: it was made with revocation endpoint "+e.op.Issuer) ||
		!strings.Contains(stderr, "logged out of dex") {
		t.Errorf("logout with another revocation endpoint: exit %d, stderr %q", code, stderr)
	}
	if _, _, code := e.result("print", "dex"); code != 4 {
		t.Errorf("the login is still stored after logout (exit %d)", code)
	}

	// A record without revocation_origin (written before it existed).
	e.run("login", "dex")
	forgetRevocationOrigin(t, e, "dex")
	_, stderr, code = moved.result("logout", "dex")
	if code != 0 || !strings.Contains(stderr, "tok: warning: did not revoke the tokens of dex: dex's revocation endpoint at "+other.Issuer+" is neither at its token endpoint nor at its issuer") {
		t.Errorf("logout of an older record with another revocation endpoint: exit %d, stderr %q", code, stderr)
	}
	if r := other.Revocations(); r != 0 {
		t.Errorf("the other server got %d revocations, want none", r)
	}
	if r := e.op.Revocations(); r != 0 {
		t.Errorf("the login's server got %d revocations before a logout with its own config", r)
	}

	// With the login's own endpoint, an older record is revoked as before.
	e.run("login", "dex")
	forgetRevocationOrigin(t, e, "dex")
	e.run("logout", "dex")
	if r := e.op.Revocations(); r != 2 {
		t.Errorf("the login's server got %d revocations, want 2 (refresh and access token)", r)
	}
}

// forgetRevocationOrigin makes PROVIDER's stored record one from before
// tok recorded revocation_origin.
func forgetRevocationOrigin(t *testing.T, e *tokEnv, provider string) {
	t.Helper()
	b, err := scriptBackend(e.getenv)
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := b.(interface{ Close() error }); ok {
		defer c.Close()
	}
	ctx, key := context.Background(), store.TokenKey(provider, "default")
	raw, err := b.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := store.UnmarshalRecord(raw)
	if err != nil {
		t.Fatal(err)
	}
	if rec.RevocationOrigin == "" {
		t.Fatal("the login records no revocation_origin")
	}
	rec.RevocationOrigin = ""
	if raw, err = rec.Marshal(); err != nil {
		t.Fatal(err)
	}
	if err := b.Set(ctx, key, raw); err != nil {
		t.Fatal(err)
	}
}
