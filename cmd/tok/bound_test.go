package main

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/testing/testop"
)

// startOtherOP starts a second in-process provider, the "other server"
// a changed config points at, stopped with the test.
func startOtherOP(t *testing.T) *testop.Server {
	t.Helper()
	other, err := testop.Start(testop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(other.Close)
	return other
}

// A login stays with the server and client that issued it (README "A login
// stays with its server"): when the config names another issuer, token
// endpoint or client_id under the same provider name, print, exec,
// narrowing and --revoke-on-exit exit 4 with the fix, logout forgets the
// login without revoking, and the other server never sees a request that
// carries the login's tokens.
func TestLoginStaysWithItsServer(t *testing.T) {
	t.Parallel()
	e := newTokEnv(t)
	other := startOtherOP(t)
	e.run("login", "dex")
	expireLogin(t, e, "dex")

	issuerLine := regexp.MustCompile(`^tok: no usable login for dex: it was made with issuer ` + regexp.QuoteMeta(e.op.Issuer) +
		`, and dex's issuer is now ` + regexp.QuoteMeta(other.Issuer) + `: its tokens are not sent there; run: tok login dex\n$`)
	movedIssuer := e.with("TOK_DEX_ISSUER=" + other.Issuer)
	for _, args := range [][]string{
		{"print", "dex", "--min-ttl", "10m"},
		{"refresh", "dex"},
		{"print", "dex", "--scope", "openid"},
		{"exec", "dex", "--revoke-on-exit", "--", "exit-with", "0"},
	} {
		_, stderr, code := movedIssuer.result(args...)
		if code != 4 || !issuerLine.MatchString(stderr) {
			t.Errorf("tok %s with another issuer: exit %d, stderr %q", strings.Join(args, " "), code, stderr)
		}
	}

	otherToken := discoveredTokenURL(t, other.Issuer)
	_, stderr, code := e.with("TOK_DEX_TOKEN_URL="+otherToken).result("print", "dex", "--min-ttl", "10m")
	if want := "it was made at token endpoint " + e.op.Issuer + ", and dex's token endpoint is now at " + other.Issuer; code != 4 || !strings.Contains(stderr, want) {
		t.Errorf("another token_url: exit %d, stderr %q", code, stderr)
	}
	_, stderr, code = e.with("TOK_DEX_CLIENT_ID="+testop.ConfidentialClientID, "TOK_DEX_CLIENT_SECRET="+testop.ConfidentialClientSecret).result("print", "dex", "--min-ttl", "10m")
	if code != 4 || !strings.Contains(stderr, "it was made for client_id "+testop.PublicClientID+", and dex's client_id is now "+testop.ConfidentialClientID) ||
		strings.Contains(stderr, testop.ConfidentialClientSecret) {
		t.Errorf("another client_id: exit %d, stderr %q", code, stderr)
	}

	_, stderr, code = movedIssuer.result("logout", "dex")
	if code != 0 || !strings.Contains(stderr, "tok: warning: did not revoke the tokens of dex: it was made with issuer") ||
		!strings.Contains(stderr, "logged out of dex") {
		t.Errorf("logout with another issuer: exit %d, stderr %q", code, stderr)
	}
	if _, _, code := e.result("print", "dex"); code != 4 {
		t.Errorf("the login is still stored after logout (exit %d)", code)
	}
	for name, op := range map[string]*testop.Server{"the other server": other, "the login's server": e.op} {
		if n, r := op.Count("refresh_token"), op.Revocations(); n != 0 || r != 0 {
			t.Errorf("%s got %d refresh requests and %d revocations, want none", name, n, r)
		}
	}
	if n := other.Count(tokenExchangeGrant); n != 0 {
		t.Errorf("the other server got %d token exchanges", n)
	}

	// The login's own config still refreshes, and records the endpoint.
	e.run("login", "dex")
	expireLogin(t, e, "dex")
	e.run("print", "dex")
	if n := e.op.Count("refresh_token"); n != 1 {
		t.Errorf("%d refresh requests with the login's own config, want 1", n)
	}
}

const tokenExchangeGrant = "urn:ietf:params:oauth:grant-type:token-exchange"

// A provider without an issuer (plain OAuth 2.0: auth_url and token_url
// only) is bound by its token endpoint's origin.
func TestLoginWithoutIssuerStaysWithItsTokenEndpoint(t *testing.T) {
	t.Parallel()
	e := newTokEnv(t)
	other := startOtherOP(t)
	plain := e.with("TOK_PLAIN_AUTH_URL="+e.op.Issuer+"/authorize", "TOK_PLAIN_TOKEN_URL="+discoveredTokenURL(t, e.op.Issuer),
		"TOK_PLAIN_CLIENT_ID="+testop.PublicClientID, "TOK_PLAIN_FLOW=browser", "TOK_PLAIN_SCOPES=openid offline_access")
	plain.run("login", "plain")
	expireLogin(t, plain, "plain")
	_, stderr, code := plain.with("TOK_PLAIN_TOKEN_URL="+discoveredTokenURL(t, other.Issuer)).result("print", "plain")
	if code != 4 || !strings.Contains(stderr, "it was made at token endpoint "+e.op.Issuer+", and plain's token endpoint is now at "+other.Issuer) ||
		!strings.HasSuffix(stderr, "; run: tok login plain\n") {
		t.Errorf("another token_url: exit %d, stderr %q", code, stderr)
	}
	if n := other.Count("refresh_token"); n != 0 {
		t.Errorf("the other server got %d refresh requests", n)
	}
	plain.run("print", "plain")
	if n := e.op.Count("refresh_token"); n != 1 {
		t.Errorf("%d refresh requests with the login's own token_url, want 1", n)
	}
}

// expireLogin makes PROVIDER's stored access token expired, so that the
// next print refreshes.
func expireLogin(t *testing.T, e *tokEnv, provider string) {
	t.Helper()
	if err := expireStored(e.getenv, provider, "default", -time.Minute); err != nil {
		t.Fatal(err)
	}
}

func discoveredTokenURL(t *testing.T, issuer string) string {
	t.Helper()
	resp, err := http.Get(issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var md struct {
		TokenEndpoint string `json:"token_endpoint"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&md); err != nil || md.TokenEndpoint == "" {
		t.Fatalf("discovery of %s: %v", issuer, err)
	}
	return md.TokenEndpoint
}
