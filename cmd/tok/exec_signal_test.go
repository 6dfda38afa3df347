//go:build unix

package main

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// execChild is a running `tok exec dex -- sigchild ARGS...`, tok in a
// process group of its own as a shell would start a job.
type execChild struct {
	cmd  *exec.Cmd
	out  *bufio.Reader
	rest chan string
	pid  int // the child's
}

func startExecChild(t *testing.T, e *tokEnv, args ...string) *execChild {
	t.Helper()
	cmd := e.tok(append([]string{"exec", "dex", "--"}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return startExecCmd(t, cmd)
}

// startExecCmd starts cmd, a tok exec of sigchild, and waits for "ready".
func startExecCmd(t *testing.T, cmd *exec.Cmd) *execChild {
	t.Helper()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &execChild{cmd: cmd, out: bufio.NewReader(pipe), rest: make(chan string, 1)}
	line, err := c.out.ReadString('\n')
	if !strings.HasPrefix(line, "ready ") {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child did not start: %q %v\nstderr: %s", line, err, stderr.String())
	}
	c.pid = atoi(t, strings.TrimSpace(strings.TrimPrefix(line, "ready ")))
	go func() {
		b, _ := io.ReadAll(c.out)
		c.rest <- string(b)
	}()
	return c
}

// wait returns the child's remaining output and tok's exit status.
func (c *execChild) wait(t *testing.T) (string, int) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		return <-c.rest, exitCode(err)
	case <-time.After(20 * time.Second):
		c.cmd.Process.Kill()
		syscall.Kill(c.pid, syscall.SIGKILL)
		t.Fatal("tok exec did not exit")
		return "", 0
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			t.Fatalf("not a number: %q", s)
		}
		n = n*10 + int(r-'0')
	}
	return n
}

// A signal sent to tok, or to tok's whole process group, reaches the child
// exactly once; tok then exits with the child's status.
func TestExecForwardsSignalsOnce(t *testing.T) {
	t.Parallel()
	e := newTokEnv(t)
	e.run("login", "dex")
	for _, tc := range []struct {
		sig   syscall.Signal
		group bool
	}{
		{syscall.SIGTERM, false}, {syscall.SIGINT, false}, {syscall.SIGHUP, false},
		{syscall.SIGTERM, true}, {syscall.SIGINT, true}, {syscall.SIGHUP, true},
	} {
		name := tc.sig.String()
		if tc.group {
			name += " to the group"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := startExecChild(t, e, "sigchild", "42")
			pid := c.cmd.Process.Pid
			if tc.group {
				pid = -pid // tok leads its group
			}
			if err := syscall.Kill(pid, tc.sig); err != nil {
				t.Fatal(err)
			}
			out, code := c.wait(t)
			want := map[syscall.Signal]string{syscall.SIGTERM: "SIGTERM x1\n", syscall.SIGINT: "SIGINT x1\n", syscall.SIGHUP: "SIGHUP x1\n"}[tc.sig]
			if out != want {
				t.Errorf("child reported %q, want %q", out, want)
			}
			if code != 42 {
				t.Errorf("tok exited %d, want the child's 42", code)
			}
		})
	}
}

// A child that dies of the signal makes tok exit 128+N.
func TestExecChildKilledBySignal(t *testing.T) {
	t.Parallel()
	e := newTokEnv(t)
	e.run("login", "dex")
	c := startExecChild(t, e, "sigchild", "die")
	syscall.Kill(c.cmd.Process.Pid, syscall.SIGTERM)
	out, _ := c.wait(t)
	if out != "SIGTERM x1\n" {
		t.Errorf("child reported %q", out)
	}
	ws := c.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ws.Exited() || ws.ExitStatus() != 128+15 {
		t.Errorf("tok: %v, want exit status 143", c.cmd.ProcessState)
	}
}

// The token is in the child's environment and in no argv: neither tok's
// nor the child's command line holds it.
func TestExecTokenNotInArgv(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/proc/self/cmdline"); err != nil {
		t.Skip("no /proc")
	}
	e := newTokEnv(t)
	e.run("login", "dex")
	tok := strings.TrimSpace(e.run("print", "dex"))
	c := startExecChild(t, e, "sigchild", "0")
	for _, pid := range []int{c.cmd.Process.Pid, c.pid} {
		b, err := os.ReadFile("/proc/" + itoa(pid) + "/cmdline")
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(tok)) {
			t.Errorf("pid %d has the token in its argv", pid)
		}
	}
	env, err := os.ReadFile("/proc/" + itoa(c.pid) + "/environ")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(env, []byte("DEX_TOKEN="+tok+"\x00")) {
		t.Error("the child's environment lacks DEX_TOKEN")
	}
	syscall.Kill(c.cmd.Process.Pid, syscall.SIGTERM)
	c.wait(t)
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// Token files go when tok is interrupted: the signal reaches the child,
// the child exits, tok removes the directory.
func TestExecTokenFilesRemovedOnSignal(t *testing.T) {
	t.Parallel()
	e := newTokEnv(t)
	e.run("login", "dex")
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		cmd := e.tok("exec", "dex", "--token-files", "--", "sigchild", "0")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		c := startExecCmd(t, cmd)
		dirs, _ := filepath.Glob(filepath.Join(e.tmp, "tok-exec-*"))
		if len(dirs) != 1 {
			t.Fatalf("token file directories while the child runs: %v", dirs)
		}
		syscall.Kill(-cmd.Process.Pid, sig)
		if out, code := c.wait(t); code != 0 || out != signalNames[sig]+" x1\n" {
			t.Errorf("%v: child said %q, tok exited %d", sig, out, code)
		}
		if _, err := os.Stat(dirs[0]); !os.IsNotExist(err) {
			t.Errorf("%v: %s is still there after tok exited", sig, dirs[0])
		}
	}
}
