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
	srv, err := testop.Start(testop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	cmd := exec.Command(filepath.Join(tokDir, "tok"), "login", "x", "--no-browser")
	cmd.Env = append(os.Environ(), "HOME="+dir, "TOK_STATE_DIR="+dir, "TOK_STORE=file", "TOK_PASSPHRASE=p",
		"TOK_X_ISSUER="+srv.Issuer, "TOK_X_CLIENT_ID="+testop.PublicClientID, "TOK_X_FLOW=browser", "TOK_CONFIG=")
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
	if _, err := os.Stat(filepath.Join(dir, "logins")); err == nil {
		entries, _ := os.ReadDir(filepath.Join(dir, "logins"))
		if len(entries) > 0 {
			t.Fatal("an interrupted login stored something")
		}
	}
}
