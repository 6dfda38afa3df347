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
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/testing/testop"
)

// tokEnv is the world one end-to-end test runs tok in: an in-process
// OpenID provider, a private work dir holding HOME, the state dir, TMPDIR
// and the config, and the environment tok sees, which holds nothing of
// the developer's. Scripts get it from setupScript, Go tests that drive
// tok themselves (signals, terminals, kill -9, scans) from newTokEnv;
// options vary it. The file store is sealed with one key per run of the
// test binary (testFileKey); passphrase tests ask for a passphrase. tok
// itself is the test binary, registered with testscript.Main and found on
// PATH.
type tokEnv struct {
	t                *testing.T // nil in scripts
	op               *testop.Server
	dir              string // the work dir, $WORK: tok runs there
	home, state, tmp string
	env              []string
}

// envOption varies a tokEnv before its files are written.
type envOption func(*envSpec)

type envSpec struct {
	op         *testop.Server // shared with other tokEnvs; nil: a new one
	config     string         // the config file, $ISSUER replaced
	outsideDir bool           // config at $WORK/etc/config.yaml, named by TOK_CONFIG
	// edits set (NAME=value) or unset (NAME) variables, in the order
	// the options gave them: withoutStoreSecret(), withEnv(X=v) keeps X.
	edits []string
}

// withEnv sets variables (NAME=value), replacing the defaults.
func withEnv(kv ...string) envOption {
	return func(s *envSpec) { s.edits = append(s.edits, kv...) }
}

// withoutEnv removes variables from tok's environment.
func withoutEnv(names ...string) envOption {
	return func(s *envSpec) { s.edits = append(s.edits, names...) }
}

// withPassphrase seals the file store with passphrase instead of the
// harness's key, for tests of the passphrase path: TOK_PASSPHRASE=passphrase
// and no TOK_FILE_KEY (which would win, README "File store keys").
func withPassphrase(passphrase string) envOption {
	return func(s *envSpec) {
		s.edits = append(s.edits, "TOK_FILE_KEY", "TOK_PASSPHRASE="+passphrase)
	}
}

// withoutStoreSecret gives the file store neither key nor passphrase:
// tok asks on a terminal, or refuses with exit 5.
func withoutStoreSecret() envOption {
	return withoutEnv("TOK_FILE_KEY", "TOK_FILE_KEY_FILE", "TOK_PASSPHRASE", "TOK_PASSPHRASE_FILE")
}

// withProvider runs tok against op, which other tokEnvs share (hosts of
// one fleet), instead of a provider of its own.
func withProvider(op *testop.Server) envOption {
	return func(s *envSpec) { s.op = op }
}

// withConfig replaces defaultConfig in $XDG_CONFIG_HOME/tok/config.yaml.
func withConfig(yaml string) envOption {
	return func(s *envSpec) { s.config = yaml }
}

// withConfigOutsideHome writes the config to $WORK/etc/config.yaml, named
// by TOK_CONFIG, and nothing under HOME: for tests that scan HOME for the
// client secret the config holds.
func withConfigOutsideHome(yaml string) envOption {
	return func(s *envSpec) { s.config, s.outsideDir = yaml, true }
}

// newTokEnv builds a tokEnv in a temporary dir, with a provider of its
// own unless withProvider gives one.
func newTokEnv(t *testing.T, opts ...envOption) *tokEnv {
	t.Helper()
	var spec envSpec
	for _, o := range opts {
		o(&spec)
	}
	srv := spec.op
	if srv == nil {
		var err error
		if srv, err = testop.Start(testop.Options{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.Close)
	}
	e, err := buildEnv(t.TempDir(), srv, opts...)
	if err != nil {
		t.Fatal(err)
	}
	e.t = t
	return e
}

// setupScript gives each script its own provider and tokEnv, plus the
// variables scripts use to write configs: ISSUER and the clients.
func setupScript(env *testscript.Env) error {
	srv, err := testop.Start(testop.Options{})
	if err != nil {
		return err
	}
	env.Defer(srv.Close)
	env.Values[opKey] = srv
	e, err := buildEnv(env.WorkDir, srv, withEnv(
		"PUBLIC_CLIENT="+testop.PublicClientID,
		"CONF_CLIENT="+testop.ConfidentialClientID,
		"CONF_SECRET="+testop.ConfidentialClientSecret,
		"DBUS_SESSION_BUS_ADDRESS="+os.Getenv("DBUS_SESSION_BUS_ADDRESS"),
	))
	if err != nil {
		return err
	}
	for _, kv := range e.env {
		k, v, _ := strings.Cut(kv, "=")
		env.Setenv(k, v)
	}
	return nil
}

func buildEnv(work string, srv *testop.Server, opts ...envOption) (*tokEnv, error) {
	spec := envSpec{config: defaultConfig}
	for _, o := range opts {
		o(&spec)
	}
	e := &tokEnv{op: srv, dir: work, home: filepath.Join(work, "home"),
		state: filepath.Join(work, "state"), tmp: filepath.Join(work, ".tmp")}
	e.env = []string{
		"PATH=" + os.Getenv("PATH"), // tok and the helper commands
		"WORK=" + work,
		"HOME=" + e.home,
		"XDG_CONFIG_HOME=" + filepath.Join(e.home, ".config"),
		"TMPDIR=" + e.tmp,
		"TOK_STATE_DIR=" + e.state,
		"TOK_STORE=" + storeFromTest(),
		// A key, not a passphrase: no scrypt in each tok process
		// (README "File store keys"). Passphrase tests use
		// withPassphrase, or clear TOK_FILE_KEY in their script.
		"TOK_FILE_KEY=" + testFileKey(),
		// Scripts run in parallel against one Secret Service: each gets
		// its own keyring service so their logins never meet.
		"TOK_KEYRING_SERVICE=tok-test-" + filepath.Base(work),
		"TOK_BROWSER=browse",
		"ISSUER=" + srv.Issuer,
		// No display, no CI, no ssh: flow auto must not be decided by
		// the developer's desktop.
		"DISPLAY=", "WAYLAND_DISPLAY=", "CI=", "SSH_CONNECTION=", "SSH_TTY=", "BROWSER=",
	}
	for _, edit := range spec.edits {
		if strings.Contains(edit, "=") {
			e.setenv(edit)
		} else {
			e.unsetenv(edit)
		}
	}
	if err := checkPassphraseUsed(e.env); err != nil {
		return nil, err
	}
	cfg := strings.ReplaceAll(spec.config, "$ISSUER", srv.Issuer)
	cfgPath := filepath.Join(e.home, ".config", "tok", "config.yaml")
	if spec.outsideDir {
		cfgPath = filepath.Join(work, "etc", "config.yaml")
		e.setenv("TOK_CONFIG=" + cfgPath)
	}
	for _, d := range []string{e.tmp, filepath.Dir(cfgPath)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	return e, os.WriteFile(cfgPath, []byte(cfg), 0o600)
}

// defaultConfig defines `dex` (public client, refresh rotation, browser),
// `auto` (flow: auto) and `svc` (client credentials) against the test's
// provider.
const defaultConfig = `providers:
  dex:
    issuer: $ISSUER
    client_id: tok-public
    scopes: [openid, offline_access, email]
    flow: browser
  auto:
    issuer: $ISSUER
    client_id: tok-public
    scopes: [openid, offline_access]
  svc:
    issuer: $ISSUER
    client_id: tok-confidential
    client_secret: tok-secret
    flow: client_credentials
`

// setenv sets NAME=value in tok's environment, replacing any value.
// getenv is NAME's value in tok's environment.
func (e *tokEnv) getenv(name string) string {
	for _, kv := range e.env {
		if k, v, _ := strings.Cut(kv, "="); k == name {
			return v
		}
	}
	return ""
}

func (e *tokEnv) setenv(kv string) {
	name, _, _ := strings.Cut(kv, "=")
	e.unsetenv(name)
	e.env = append(e.env, kv)
}

func (e *tokEnv) unsetenv(name string) {
	e.env = dropEnv(e.env, name)
}

// with returns a copy of e whose environment also holds kv.
func (e *tokEnv) with(kv ...string) *tokEnv {
	c := *e
	c.env = append([]string(nil), e.env...)
	for _, x := range kv {
		c.setenv(x)
	}
	if err := checkPassphraseUsed(c.env); err != nil {
		panic(err) // a mistake in the test itself
	}
	return &c
}

// testFileKey is the file-store key (an age X25519 identity, as tok
// keygen makes) of every tokEnv in this run of the test binary.
var testFileKey = sync.OnceValue(func() string {
	k, err := store.GenerateKey()
	if err != nil {
		panic(err)
	}
	return k.Identity()
})

// checkPassphraseUsed refuses an environment where the harness's key
// would silently win over a passphrase a test set: such a test would
// pass without ever opening the store with its passphrase.
func checkPassphraseUsed(env []string) error {
	vars := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	if vars["TOK_FILE_KEY"] != testFileKey() {
		return nil
	}
	for _, name := range []string{"TOK_PASSPHRASE", "TOK_PASSPHRASE_FILE"} {
		if vars[name] != "" {
			return fmt.Errorf("%s is set, but the harness's TOK_FILE_KEY wins over it: use withPassphrase or withoutEnv(\"TOK_FILE_KEY\")", name)
		}
	}
	return nil
}

// dropEnv removes name from env.
func dropEnv(env []string, name string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// tokPath is the tok that testscript.Main put on PATH: this test binary.
func tokPath() string {
	p, err := exec.LookPath("tok")
	if err != nil {
		panic("tok is not on PATH: TestMain registers it with testscript.Main")
	}
	return p
}

// tok returns a command running tok in e.
func (e *tokEnv) tok(args ...string) *exec.Cmd {
	return e.command(context.Background(), args...)
}

// command is tok, killed when ctx ends.
func (e *tokEnv) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, tokPath(), args...)
	cmd.Env = e.env
	cmd.Dir = e.dir
	return cmd
}

// run runs tok and fails the test unless it succeeds; it returns stdout.
func (e *tokEnv) run(args ...string) string {
	e.t.Helper()
	out, stderr, code := e.result(args...)
	if code != 0 {
		e.t.Fatalf("tok %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
	}
	return out
}

// result runs tok to the end and returns stdout, stderr and the exit
// status.
func (e *tokEnv) result(args ...string) (string, string, int) {
	e.t.Helper()
	var stdout, stderr strings.Builder
	cmd := e.tok(args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		e.t.Fatal(err)
	}
	return stdout.String(), stderr.String(), exitCode(err)
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}

// A script that sets a passphrase must first say what it does with the
// harness's TOK_FILE_KEY (clear it, or state why it stays): otherwise the
// key wins and the script passes without its passphrase ever opening the
// store.
func TestScriptsPassphraseNotMasked(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "script", "*.txtar"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts (%v)", err)
	}
	setsPassphrase := regexp.MustCompile(`^env TOK_PASSPHRASE(_FILE)?=\S`)
	for _, f := range files {
		a, err := txtar.ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		named := false
		for i, line := range strings.Split(string(a.Comment), "\n") {
			named = named || strings.Contains(line, "TOK_FILE_KEY")
			if setsPassphrase.MatchString(line) && !named {
				t.Errorf("%s:%d sets a passphrase, but the harness's TOK_FILE_KEY would win over it: add env TOK_FILE_KEY= before", filepath.Base(f), i+1)
			}
		}
	}
}
