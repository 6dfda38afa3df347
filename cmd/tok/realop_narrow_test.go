package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// TestRealProviderNarrowed holds narrowed tokens and revoke on exit to a
// provider that is not tok's code (node oidc-provider, strict rotation,
// grant revoked when a spent refresh token comes back): the narrowed token
// really carries fewer scopes (the provider's userinfo answer), narrowed
// and plain prints at once never lose the login, and revoke on exit is
// refused up front where revoking one token ends the grant, as here.
func TestRealProviderNarrowed(t *testing.T) {
	t.Parallel()
	e, op := newRealEnv(t)
	e.run("login", "real")
	full := strings.TrimSpace(e.run("print", "real"))
	if got := op.userinfo(t, full); got != "email sub" {
		t.Fatalf("full token's claims: %q", got)
	}
	narrow := strings.TrimSpace(e.run("print", "real", "--scope", "openid"))
	if got := op.userinfo(t, narrow); got != "sub" {
		t.Errorf("narrowed token's claims: %q, want only sub", got)
	}
	if again := strings.TrimSpace(e.run("print", "real", "--scope", "openid")); again != narrow {
		t.Error("a second narrowed print did not use the cached token")
	}
	if _, stderr, code := e.result("print", "real", "--scope", "admin"); code != 2 || !strings.Contains(stderr, "real was not granted admin") {
		t.Errorf("scope not granted: exit %d, %s", code, stderr)
	}

	// Narrowed and plain prints, 16 each at once, each needing a
	// request: the login survives strict rotation.
	op.setTTL(t, 30e9)
	e.run("refresh", "real")
	var wg sync.WaitGroup
	errs := make([]string, 32)
	for i := range errs {
		wg.Go(func() {
			args := []string{"print", "real", "--min-ttl", "1m"}
			if i%2 == 1 {
				args = append(args, "--scope", "openid")
			}
			if _, stderr, code := e.result(args...); code != 0 {
				errs[i] = stderr
			}
		})
	}
	wg.Wait()
	for i, s := range errs {
		if s != "" {
			t.Fatalf("run %d failed: %s", i, s)
		}
	}
	if _, bad := op.refreshes(t); bad != 0 {
		t.Fatalf("%d failed grants at the provider: a refresh token was spent twice", bad)
	}
	op.setTTL(t, 300e9)
	if got := op.userinfo(t, strings.TrimSpace(e.run("print", "real", "--min-ttl", "0s"))); got != "email sub" {
		t.Errorf("after the burst the login's token has claims %q", got)
	}

	// Revoke on exit: this provider revokes every token of a grant when
	// one access token is revoked (oidc-provider's revocation ends the
	// grant's tokens whatever revokeGrantPolicy says), so it is
	// configured as such and tok refuses up front; the login stays.
	e2 := e.with("TOK_CONFIG=" + writeRealConfig(t, op, "    revoke_ends_grant: true\n"))
	_, stderr, code := e2.result("exec", "real", "--revoke-on-exit", "--", "exit-with", "0")
	if code != 2 || !strings.Contains(stderr, "revoking a token of real ends its whole login") {
		t.Errorf("revoke on exit where revoking ends the grant: exit %d, %s", code, stderr)
	}
	if got := op.userinfo(t, strings.TrimSpace(e.run("print", "real"))); got != "email sub" {
		t.Errorf("the login after the refusal: claims %q", got)
	}
}

// writeRealConfig writes a config whose provider real is op, with extra
// provider lines, and returns its path.
func writeRealConfig(t *testing.T, op *realOP, extra string) string {
	path := filepath.Join(t.TempDir(), "config.yaml")
	cfg := "providers:\n  real:\n    issuer: " + op.issuer + "\n    client_id: tok-public\n    scopes: [openid, offline_access, email]\n    flow: browser\n" + extra
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// userinfo returns the claim names the provider's userinfo endpoint
// gives for tok, sorted and space-separated.
func (op *realOP) userinfo(t *testing.T, tok string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, op.issuer+"/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("userinfo: HTTP %d", resp.StatusCode)
	}
	claims := map[string]any{}
	if err := json.NewDecoder(resp.Body).Decode(&claims); err != nil {
		t.Fatal(err)
	}
	var names []string
	for k := range claims {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, " ")
}
