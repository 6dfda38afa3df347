//go:build linux || darwin

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/tok-cli/tok/internal/testing/syncbuf"
)

// ptyOutput collects what a process writes to its terminal.
type ptyOutput struct{ syncbuf.Buffer }

// waitFor waits until the terminal shows s.
func (o *ptyOutput) waitFor(t *testing.T, s string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
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
	t.Parallel()
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
	t.Parallel()
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
	sh.Env = e.with("PS1=$ ", "TERM=dumb").env
	sh.Dir = e.dir
	master, out := startPTY(t, sh)
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
	// fg names the job it resumes; type for the child only after that.
	jobs := strings.Count(out.String(), "tok exec dex -- tty-child")
	master.Write([]byte("fg\n"))
	for deadline := time.Now().Add(15 * time.Second); strings.Count(out.String(), "tok exec dex -- tty-child") <= jobs; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("fg did not resume the job:\n%s", out.String())
		}
	}
	time.Sleep(100 * time.Millisecond)
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

// startPTY runs cmd on a new terminal, as its session leader, and
// returns the terminal's master side. Closing it hangs the terminal up
// at once: reads go through the poller, so no read blocked in the kernel
// keeps the terminal open.
func startPTY(t *testing.T, cmd *exec.Cmd) (*os.File, *ptyOutput) {
	t.Helper()
	blocking, err := pty.Start(cmd)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	fd, err := syscall.Dup(int(blocking.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	blocking.Close()
	syscall.SetNonblock(fd, true)
	master := os.NewFile(uintptr(fd), "ptmx")
	// Hang up first, so that a shell passes it on to its jobs and
	// nothing is left running, even after a failure.
	t.Cleanup(func() {
		master.Close()
		waitOrKill(cmd, 5*time.Second)
	})
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
	return master, out
}

// Closing the terminal while the child holds it: the child gets SIGHUP
// once, however the kernel and the shell each pass the hangup on.
func TestExecTerminalHangup(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("linux")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	e := newTokEnv(t)
	e.run("login", "dex")
	for _, shell := range []bool{true, false} {
		name := map[bool]string{true: "a shell leads the session", false: "tok leads the session"}[shell]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			report := filepath.Join(t.TempDir(), "report")
			env := e.with("PS1=$ ", "TERM=dumb", "SIGCHILD_REPORT="+report, "SIGCHILD_QUIET=2s").env
			cmd := e.tok("exec", "dex", "--", "sigchild", "0")
			if shell {
				cmd = exec.Command(bash, "--norc", "--noprofile", "-i")
			}
			cmd.Env, cmd.Dir = env, e.dir
			master, out := startPTY(t, cmd)
			if shell {
				master.Write([]byte("tok exec dex -- sigchild 0\n"))
			}
			out.waitFor(t, "ready")
			master.Close() // the terminal window closes
			var got []byte
			// Bounded generously: the machine may be busy with the other
			// tests running in parallel.
			for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
				if got, _ = os.ReadFile(report); len(got) > 0 {
					break
				}
			}
			if string(got) != "SIGHUP x1\n" {
				t.Errorf("the child reported %q, want SIGHUP once", got)
			}
		})
	}
}
