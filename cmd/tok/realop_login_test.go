//go:build unix

package main

import (
	"fmt"
	"strings"
	"testing"
)

// node oidc-provider grants offline_access only when the authorization
// request has prompt=consent: the README's quick start config, as it is,
// logs in without a refresh token, and tok says how to get one.
func TestRealOfflineAccessNeedsConsent(t *testing.T) {
	t.Parallel()
	op := startRealOP(t)
	cfg := fmt.Sprintf(`providers:
  dex:
    issuer: %[1]s
    client_id: tok-public
    scopes: [openid, offline_access, email]
    flow: browser
  consent:
    issuer: %[1]s
    client_id: tok-public
    scopes: [openid, offline_access, email]
    flow: browser
    auth_params: {prompt: consent}
`, op.issuer)
	e := newTokEnv(t, withConfigOutsideHome(cfg), withEnv("TOK_BROWSER=realbrowse"))

	_, stderr, code := e.result("login", "dex")
	if code != 0 {
		t.Fatalf("login: exit %d\n%s", code, stderr)
	}
	want := "tok: hint: the provider did not grant offline_access; some providers grant it only with prompt=consent: set providers.dex.auth_params: {prompt: consent}\n"
	if !strings.Contains(stderr, "no refresh token)") || !strings.HasSuffix(stderr, want) {
		t.Errorf("login without prompt=consent, stderr:\n%s\nwant it to end with:\n%s", stderr, want)
	}

	// The fix the hint names works.
	_, stderr, code = e.result("login", "consent")
	if code != 0 || !strings.Contains(stderr, "refreshable)") || strings.Contains(stderr, "hint") {
		t.Errorf("login with prompt=consent: exit %d\n%s", code, stderr)
	}
}
