//go:build unix

package execx

import (
	"os"
	"os/exec"
	"os/signal"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

var forwarded = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}

// terminal is the terminal tok handed to its child, nil when it did not.
type terminal struct {
	fd int
	// childHasIt is whether the child's group is the foreground group
	// (not while it is stopped or sent to the background).
	childHasIt atomic.Bool
}

// prepare puts the child in its own process group, so that a signal sent
// to tok's group (a shell's kill, a CI runner's) reaches the child once,
// through tok, not twice. On a terminal the child's group becomes the
// foreground group, so an interactive child reads the terminal and gets
// Ctrl-C directly, and tok none.
func prepare(cmd *exec.Cmd) *terminal {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	tty, ok := cmd.Stdin.(*os.File)
	if !ok || !isForegroundTTY(int(tty.Fd())) {
		return nil
	}
	fd := int(tty.Fd())
	cmd.SysProcAttr.Foreground = true
	cmd.SysProcAttr.Ctty = fd
	t := &terminal{fd: fd}
	t.childHasIt.Store(true)
	return t
}

// kernelDelivers reports whether sig reaches the child without tok: a
// SIGHUP after the terminal hung up while the child's group held it.
// The shell passes the hangup on to its jobs (tok), and the kernel sends
// SIGHUP to the terminal's last foreground group (the child's) when the
// shell, the session leader, exits; forwarding would make it two. When
// tok leads the session itself, the kernel waits for tok to exit, so
// tok forwards.
func (t *terminal) kernelDelivers(sig os.Signal) bool {
	if t == nil || sig != syscall.SIGHUP || !t.childHasIt.Load() {
		return false
	}
	if _, err := unix.IoctlGetInt(t.fd, unix.TIOCGPGRP); err == nil {
		return false // the terminal is still there: someone sent it to tok
	}
	sid, err := unix.Getsid(0)
	return err == nil && sid != unix.Getpid()
}

// restore hands the terminal back to tok once the child is gone.
func (t *terminal) restore() {
	if t != nil {
		t.setForeground(unix.Getpgrp())
	}
}

// setForeground makes pgrp the terminal's foreground group. tcsetpgrp
// from a background group raises SIGTTOU; it is ignored for the moment
// it takes.
func (t *terminal) setForeground(pgrp int) {
	signal.Ignore(syscall.SIGTTOU)
	defer signal.Reset(syscall.SIGTTOU)
	unix.IoctlSetPointerInt(t.fd, unix.TIOCSPGRP, pgrp)
}

// isForegroundTTY reports whether fd is a terminal whose foreground group
// is tok's own.
func isForegroundTTY(fd int) bool {
	pgrp, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	return err == nil && pgrp == unix.Getpgrp()
}

func exitStatus(ps *os.ProcessState, err error) int {
	if ps == nil {
		return 1
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}
