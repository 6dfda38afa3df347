package main

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/tok-cli/tok/internal/testing/testop"
)

// Ctrl-C during a login ends it cleanly: exit 130, one line, the redirect
// listener closed, nothing stored.
func TestLoginInterrupted(t *testing.T) {
	t.Parallel()
	e := newTokEnv(t)
	e = e.with("TOK_X_ISSUER="+e.op.Issuer, "TOK_X_CLIENT_ID="+testop.PublicClientID, "TOK_X_FLOW=browser")
	cmd := e.tok("login", "x", "--no-browser")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if strings.Contains(sc.Text(), "/authorize?") {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("exit = %v, want 130; stderr:\n%s", err, strings.Join(lines, "\n"))
	}
	if last := lines[len(lines)-1]; last != "tok: interrupted" {
		t.Fatalf("last line = %q", last)
	}
	if _, err := os.Stat(filepath.Join(e.state, "logins")); err == nil {
		entries, _ := os.ReadDir(filepath.Join(e.state, "logins"))
		if len(entries) > 0 {
			t.Fatal("an interrupted login stored something")
		}
	}
}
