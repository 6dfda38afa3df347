package cli

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/testing/memstore"
	"github.com/tok-cli/tok/internal/testing/realop"
	"github.com/tok-cli/tok/internal/testing/syncbuf"
	"github.com/tok-cli/tok/internal/testing/testop"
)

// opTok is one user's tok, in-process, against a real authorization
// server (the in-process testop, or node oidc-provider from
// testdata/realop): a store in memory and a fake clock, so that the
// timing of `exec --serve` and `exec --token-files` is tested by moving
// the clock, not by waiting for it. The providers check nothing against
// tok's clock.
type opTok struct {
	t      *testing.T
	op     *testop.Server // nil against node oidc-provider
	store  *memstore.Backend
	env    map[string]string
	clock  *fakeClock
	stderr lockedBuilder
	// browse signs in at an authorization URL; refreshes counts the
	// provider's refresh requests.
	browse    func(ctx context.Context, url string) error
	refreshes func() int
}

// lockedBuilder collects what the token endpoint and the keepers write
// from their goroutines.
type lockedBuilder = syncbuf.Buffer

// The login is dex's whichever the provider: DEX_TOKEN is its variable.
// oidc-provider issues a refresh token only on consent asked for.
const opConfig = `providers:
  dex:
    issuer: $ISSUER
    client_id: ` + testop.PublicClientID + `
    scopes: [openid, offline_access]
    flow: browser
    auth_params: {prompt: consent}
`

// newOpTok is tok against the in-process provider.
func newOpTok(t *testing.T) *opTok {
	t.Helper()
	srv, err := testop.Start(testop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	o := newOpTokAt(t, srv.Issuer)
	o.op = srv
	o.browse = func(ctx context.Context, url string) error {
		_, _, err := testop.Browse(ctx, url, testop.User, testop.Password)
		return err
	}
	o.refreshes = func() int { return srv.Count("refresh_token") }
	return o
}

// newRealOpTok is tok against node oidc-provider, which rotates refresh
// tokens strictly (a spent one coming back revokes the grant); it skips
// without the node modules, except under CI. failures counts the
// provider's failed token requests.
func newRealOpTok(t *testing.T) (o *opTok, failures func() int) {
	t.Helper()
	srv, err := realop.Start("server.mjs")
	if errors.Is(err, realop.ErrMissing) && os.Getenv("CI") == "" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	o = newOpTokAt(t, srv.Issuer)
	o.browse = func(ctx context.Context, url string) error { return realop.Browse(ctx, url, "alice") }
	count := func(what string) int {
		c, err := srv.Counts()
		if err != nil {
			t.Fatal(err)
		}
		return c[what]
	}
	o.refreshes = func() int { return count("refresh_token") }
	return o, func() int { return count("errors") }
}

func newOpTokAt(t *testing.T, issuer string) *opTok {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte(strings.ReplaceAll(opConfig, "$ISSUER", issuer)), 0o600); err != nil {
		t.Fatal(err)
	}
	return &opTok{t: t, store: memstore.New(),
		env: map[string]string{"TOK_CONFIG": cfg, "TOK_STATE_DIR": filepath.Join(dir, "state"),
			"XDG_RUNTIME_DIR": t.TempDir()},
		// ID tokens are checked against tok's clock: it starts at the
		// real time.
		clock: newFakeClock(time.Now().Truncate(time.Second))}
}

// app is a tok whose stderr the test collects and whose browser signs
// in at the provider.
func (o *opTok) app(stdout *strings.Builder) *App {
	a := NewApp(strings.NewReader(""), stdout, &o.stderr)
	a.LookupEnv = envOf(o.env)
	a.Environ = func() []string { return nil }
	a.Now, a.After = o.clock.Now, o.clock.After
	a.Backend = o.store
	a.OpenBrowser = func(url string) (<-chan error, error) {
		go o.browse(o.t.Context(), url)
		return nil, nil
	}
	return a
}

// run runs tok ARGS and fails the test unless it succeeds.
func (o *opTok) run(args ...string) string {
	o.t.Helper()
	var stdout strings.Builder
	if code := o.app(&stdout).Run(o.t.Context(), args); code != 0 {
		o.t.Fatalf("tok %s: exit %d\n%s", strings.Join(args, " "), code, o.stderr.String())
	}
	return stdout.String()
}

// execStart is what `tok exec TARGETS --min-ttl MINTTL` does before it
// starts the command: the config loaded, the targets resolved and their
// tokens fetched. The App returned serves them or keeps their files.
func (o *opTok) execStart(minTTL time.Duration, targets ...string) (*App, []*execTarget) {
	o.t.Helper()
	a := o.app(&strings.Builder{})
	cfg, err := a.loadConfig()
	if err != nil {
		o.t.Fatal(err)
	}
	a.cfg = cfg
	ets, err := a.execTargets(o.t.Context(), &execOptions{Targets: targets, Command: []string{"agent"}}, minTTL)
	if err != nil {
		o.t.Fatal(err)
	}
	for _, et := range ets {
		et.Argv0 = "agent"
	}
	return a, ets
}

// login logs dex in, and forgets what that wrote on stderr.
func (o *opTok) login() {
	o.t.Helper()
	o.run("login", "dex")
	o.stderr.Reset()
}

// stored is the access token in tok's store and its expiry, as `tok
// print` hands them out without a refresh (min-ttl 0, token not expired).
func (o *opTok) stored() (string, time.Time) {
	o.t.Helper()
	before := o.refreshes()
	var doc struct {
		AccessToken string    `json:"access_token"`
		Expiry      time.Time `json:"expiry"`
	}
	if err := json.Unmarshal([]byte(o.run("print", "dex", "--min-ttl", "0s", "--format", "json")), &doc); err != nil {
		o.t.Fatal(err)
	}
	if o.refreshes() != before {
		o.t.Fatal("tok print refreshed")
	}
	return doc.AccessToken, doc.Expiry
}
