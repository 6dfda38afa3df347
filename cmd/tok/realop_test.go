//go:build unix

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/testing/realop"
)

// The tests here run tok against a real provider that is not tok's code
// (node oidc-provider, testdata/realop) and rotates refresh tokens
// strictly: a refresh token is spent by its use, and a spent one coming
// back revokes the whole grant, so a single duplicate refresh by tok
// would fail every later one.

func init() {
	helperCommands["realbrowse"] = realBrowse
}

// realbrowse URL plays the user at oidc-provider's development pages: it
// signs in as alice, consents, and follows the redirect to tok.
func realBrowse() {
	if err := realop.Browse(context.Background(), os.Args[len(os.Args)-1], "alice"); err != nil {
		fmt.Fprintln(os.Stderr, "realbrowse:", err)
		os.Exit(1)
	}
}

// realOP is a running testdata/realop provider.
type realOP struct {
	*realop.Server
	issuer string
}

func startRealOP(t *testing.T) *realOP {
	t.Helper()
	return startNodeOP(t, "server.mjs")
}

// startNodeOP runs one of testdata/realop's oidc-provider scripts and
// stops it with the test. Without the node modules it skips, except under
// CI, which installs them.
func startNodeOP(t *testing.T, script string) *realOP {
	t.Helper()
	s, err := realop.Start(script)
	if errors.Is(err, realop.ErrMissing) && os.Getenv("CI") == "" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return &realOP{Server: s, issuer: s.Issuer}
}

// get decodes the JSON document at the issuer's path into v.
func (op *realOP) get(t *testing.T, path string, v any) {
	t.Helper()
	if err := op.GetJSON(path, v); err != nil {
		t.Fatal(err)
	}
}

// setTTL sets the lifetime of access tokens issued from now on.
func (op *realOP) setTTL(t *testing.T, d time.Duration) {
	t.Helper()
	if err := op.SetAccessTTL(d); err != nil {
		t.Fatal(err)
	}
}

// refreshes is how many refresh requests the provider got, and errors of
// any grant.
func (op *realOP) refreshes(t *testing.T) (int, int) {
	t.Helper()
	c, err := op.Counts()
	if err != nil {
		t.Fatal(err)
	}
	return c["refresh_token"], c["errors"]
}

// newRealEnv is a tokEnv whose provider `real` is the real provider.
func newRealEnv(t *testing.T) (*tokEnv, *realOP) {
	op := startRealOP(t)
	cfg := fmt.Sprintf(`providers:
  real:
    issuer: %s
    client_id: tok-public
    scopes: [openid, offline_access, email]
    flow: browser
    auth_params: {prompt: consent}
`, op.issuer)
	e := newTokEnv(t, withConfigOutsideHome(cfg), withEnv("TOK_BROWSER=realbrowse"))
	return e, op
}

func TestRealProvider(t *testing.T) {
	t.Parallel()
	e, op := newRealEnv(t)
	op.setTTL(t, 30*time.Second)
	e.run("login", "real")
	op.setTTL(t, 5*time.Minute)
	first := e.run("print", "real", "--min-ttl", "0s")

	// 16 at once under --min-ttl: one refresh, one token for all.
	outs, errs := runAtOnce(16, func() *exec.Cmd { return e.tok("print", "real", "--min-ttl", "1m") })
	for i := range outs {
		if errs[i] != nil || outs[i] != outs[0] || outs[i] == first {
			t.Fatalf("run %d: %v, same as the others %v", i, errs[i], outs[i] == outs[0])
		}
	}
	if n, bad := op.refreshes(t); n != 1 || bad != 0 {
		t.Fatalf("%d refresh requests, %d errors; want 1 and 0", n, bad)
	}
	// The grant is intact: a spent refresh token sent again would have
	// revoked it.
	e.run("refresh", "real")
	if n, bad := op.refreshes(t); n != 2 || bad != 0 {
		t.Fatalf("after tok refresh: %d refresh requests, %d errors", n, bad)
	}

	// exec: the token in the provider's variable, the child's status.
	token := e.run("print", "real")
	if got := e.run("exec", "real", "--", "value-of", "REAL_TOKEN"); got != token {
		t.Errorf("exec gave the child %q, print says %q", got, token)
	}
	if _, _, code := e.result("exec", "real", "--", "exit-with", "9"); code != 9 {
		t.Errorf("exec exit status %d, want 9", code)
	}

	// --serve keeps a child supplied past the token's lifetime: while the
	// child waits between two requests, the token in tok's store (not at
	// the provider) is left 30s, under the default --min-ttl, and the
	// second request refreshes it, spending a rotating refresh token.
	before, _ := op.refreshes(t)
	out := serveAcrossExpiry(t, e, "real")
	if strings.Count(out, "real: status 200") != 2 || strings.Count(out, "new token") != 2 {
		t.Errorf("token endpoint:\n%s", out)
	}
	if n, bad := op.refreshes(t); n != before+1 || bad != 0 {
		t.Errorf("token endpoint: %d refresh requests, %d errors; want 1 and 0", n-before, bad)
	}
	// --token-files writes the token print hands out, 0600 in a 0700
	// directory. Only time makes the keeper rewrite it (through the same
	// manager as the endpoint): TestTokenFilesTiming moves a fake clock.
	token = strings.TrimSpace(e.run("print", "real"))
	if out := e.run("exec", "real", "--token-files", "--", "cat-files", "REAL_TOKEN_FILE"); out != "REAL_TOKEN_FILE="+token+" mode=600 dirmode=700\n" {
		t.Errorf("token files: %q", out)
	}
	// Still one unbroken chain of rotations.
	e.run("refresh", "real")
	if _, bad := op.refreshes(t); bad != 0 {
		t.Errorf("%d failed grants at the provider", bad)
	}
}

// serveAcrossExpiry runs `tok exec TARGET --serve -- tokget` for two
// requests and, between them, makes the stored token one with 30s left,
// as if the child had run that long. It returns tokget's output.
func serveAcrossExpiry(t *testing.T, e *tokEnv, target string) string {
	t.Helper()
	pause := filepath.Join(e.dir, "go")
	cmd := e.tok("exec", target, "--serve", "--", "tokget", "-pause", pause, target, target)
	var out, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	reaped := false
	defer func() {
		if !reaped {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	if !waitFile(pause+".waiting", 30*time.Second) {
		t.Fatalf("tokget never paused:\n%s%s", out.String(), stderr.String())
	}
	provider, account, _ := strings.Cut(target, ":")
	if account == "" {
		account = "default"
	}
	if err := expireStored(e.getenv, provider, account, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pause, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	waitOrKill(cmd, 30*time.Second)
	reaped = true
	if !cmd.ProcessState.Success() || stderr.Len() > 0 {
		t.Errorf("tok exec --serve: %v\n%s", cmd.ProcessState, stderr.String())
	}
	return out.String()
}

// waitOrKill reaps cmd, killing it when it has not exited within d, so
// that a failed test leaves nothing running.
func waitOrKill(cmd *exec.Cmd, d time.Duration) {
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		cmd.Process.Kill()
		<-done
	}
}

// TestRealProviderWithoutDeviceFlow: node oidc-provider as configured in
// testdata/realop has no device authorization endpoint. providers says
// device is unverified until tok has read the metadata, then lists the
// browser flow only; login --device names the provider and the fix.
func TestRealProviderWithoutDeviceFlow(t *testing.T) {
	t.Parallel()
	e, op := newRealEnv(t)
	// flow: auto, so that providers lists every flow tok may run (a
	// provider set to one flow lists that one alone).
	e.setenv("TOK_REAL_FLOW=auto")
	if out := e.run("providers"); !regexp.MustCompile(`(?m)^real +configured +browser,device\? +set +REAL_TOKEN$`).MatchString(out) {
		t.Errorf("providers before any discovery:\n%s", out)
	}
	_, stderr, code := e.result("login", "real", "--device")
	want := "tok: provider real has no device authorization endpoint: the metadata of " + op.issuer + " names none, and no device_auth_url is set; " +
		"log in with the browser flow: tok login real --browser (add --no-browser on a machine without one, and open the URL elsewhere), or set providers.real.device_auth_url if the provider has one\n"
	if code != 2 || stderr != want {
		t.Errorf("login --device: exit %d, stderr:\n%swant exit 2 and\n%s", code, stderr, want)
	}
	if out := e.run("providers"); !regexp.MustCompile(`(?m)^real +configured +browser +set +REAL_TOKEN$`).MatchString(out) {
		t.Errorf("providers after discovery:\n%s", out)
	}
}
