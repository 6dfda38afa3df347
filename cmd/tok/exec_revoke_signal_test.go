//go:build unix

package main

import (
	"syscall"
	"testing"
)

// TestExecRevokeOnExitAfterSignalToTok: SIGTERM sent to tok reaches the
// child, which dies by it; tok still revokes the run's token before it
// exits (README "Revoke on exit"), and the login still prints.
func TestExecRevokeOnExitAfterSignalToTok(t *testing.T) {
	t.Parallel()
	e := newTokEnv(t)
	e.run("login", "dex")
	before := e.op.Revocations()
	cmd := e.tok("exec", "dex", "--revoke-on-exit", "--", "sigchild", "die")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c := startExecCmd(t, cmd)
	syscall.Kill(c.cmd.Process.Pid, syscall.SIGTERM)
	out, code := c.wait(t)
	if out != "SIGTERM x1\n" || code != 128+15 {
		t.Errorf("child reported %q, tok exited %d; want SIGTERM x1 and 143", out, code)
	}
	if got := e.op.Revocations() - before; got != 1 {
		t.Errorf("%d revocations after the run, want 1", got)
	}
	e.run("print", "dex")
}
