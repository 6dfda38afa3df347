//go:build linux || darwin

package main

import (
	"bytes"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// ptyOutput collects what a process writes to its terminal.
type ptyOutput struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *ptyOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *ptyOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// waitFor waits until the terminal shows s.
func (o *ptyOutput) waitFor(t *testing.T, s string) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(o.String(), s) {
			return
		}
	}
	t.Fatalf("terminal never showed %q; it shows:\n%s", s, o.String())
}

// An interactive child on tok's terminal reads it, and Ctrl-C typed there
// reaches the child once (tok hands it the foreground, so the terminal
// signals the child directly and tok forwards nothing).
func TestExecOnTerminal(t *testing.T) {
	e := newTokEnv(t)
	e.run("login", "dex")
	cmd := e.tok("exec", "dex", "--", "tty-child")
	// pty.Start makes the terminal tok's controlling terminal, in a new
	// session, as a login shell's would be.
	master, err := pty.Start(cmd)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer master.Close()
	out := &ptyOutput{}
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := master.Read(b)
			out.Write(b[:n])
			if err != nil {
				return
			}
		}
	}()
	master.Write([]byte("hello from the keyboard\n"))
	out.waitFor(t, "read: hello from the keyboard")
	out.waitFor(t, "waiting for ^C")
	master.Write([]byte{3}) // Ctrl-C
	out.waitFor(t, "SIGINT x")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if code := exitCode(err); code != 7 {
			t.Errorf("tok exited %d, want the child's 7\n%s", code, out.String())
		}
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("tok did not exit\n%s", out.String())
	}
	if !strings.Contains(out.String(), "SIGINT x1") {
		t.Errorf("Ctrl-C did not reach the child exactly once:\n%s", out.String())
	}
	if strings.Contains(out.String(), "tok: interrupted") {
		t.Errorf("tok saw the Ctrl-C meant for the child:\n%s", out.String())
	}
}

// Ctrl-Z on an interactive child stops the whole job, as without tok: the
// shell gets the terminal back and says so; fg resumes the child on the
// terminal, where it reads and gets Ctrl-C as before.
func TestExecJobControl(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("job control is supervised on linux")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	e := newTokEnv(t)
	e.run("login", "dex")
	sh := exec.Command(bash, "--norc", "--noprofile", "-i")
	sh.Env = append(e.env, "PS1=$ ", "TERM=dumb")
	sh.Dir = e.dir
	master, err := pty.Start(sh)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer func() {
		master.Close()
		sh.Process.Kill()
		sh.Wait()
	}()
	out := &ptyOutput{}
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := master.Read(b)
			out.Write(b[:n])
			if err != nil {
				return
			}
		}
	}()
	master.Write([]byte("tok exec dex -- tty-child\n"))
	out.waitFor(t, "reading")
	master.Write([]byte{0x1a}) // Ctrl-Z
	out.waitFor(t, "Stopped")
	master.Write([]byte("echo $((6*7))\n"))
	out.waitFor(t, "42")
	// bg: the child runs on without the terminal, which the shell
	// keeps: what is typed now goes to the shell, not to the child.
	master.Write([]byte("bg\n"))
	out.waitFor(t, "tok exec dex -- tty-child &")
	master.Write([]byte("echo $((7*8))\n"))
	out.waitFor(t, "56")
	master.Write([]byte("fg\n"))
	time.Sleep(200 * time.Millisecond)
	master.Write([]byte("after fg\n"))
	out.waitFor(t, "read: after fg")
	if strings.Contains(out.String(), "read: echo") {
		t.Errorf("the child read what was typed for the shell:\n%s", out.String())
	}
	out.waitFor(t, "waiting for ^C")
	master.Write([]byte{3})
	out.waitFor(t, "SIGINT x")
	master.Write([]byte("echo status=$?\n"))
	out.waitFor(t, "status=7")
	if !strings.Contains(out.String(), "SIGINT x1") {
		t.Errorf("Ctrl-C did not reach the child exactly once:\n%s", out.String())
	}
	master.Write([]byte("exit\n"))
}
