package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tok-cli/tok/internal/testing/testop"
)

// tokEnv is what setupScript gives a script, for Go tests that drive the
// tok binary directly: signals, terminals, kill -9.
type tokEnv struct {
	t   *testing.T
	op  *testop.Server
	dir string
	env []string
}

func newTokEnv(t *testing.T) *tokEnv {
	t.Helper()
	srv, err := testop.Start(testop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	work := t.TempDir()
	home := filepath.Join(work, "home")
	cfgDir := filepath.Join(home, ".config", "tok")
	if err := os.MkdirAll(cfgDir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := strings.ReplaceAll(defaultConfig, "$ISSUER", srv.Issuer)
	if err := os.WriteFile(filepath.Join(cfgDir, "config.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	e := &tokEnv{t: t, op: srv, dir: work, env: []string{
		"PATH=" + tokDir + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + home,
		"WORK=" + work,
		"TMPDIR=" + work,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"TOK_STATE_DIR=" + filepath.Join(work, "state"),
		"TOK_STORE=file",
		"TOK_PASSPHRASE=correct horse battery staple",
		"TOK_BROWSER=browse",
		"ISSUER=" + srv.Issuer,
	}}
	return e
}

// tok returns a command running the tok binary in e.
func (e *tokEnv) tok(args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(tokDir, "tok"), args...)
	cmd.Env = e.env
	cmd.Dir = e.dir
	return cmd
}

// run runs tok and fails the test unless it succeeds; it returns stdout.
func (e *tokEnv) run(args ...string) string {
	e.t.Helper()
	var stderr strings.Builder
	cmd := e.tok(args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		e.t.Fatalf("tok %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
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
