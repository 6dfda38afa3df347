//go:build unix

package execx

import (
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

var forwarded = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}

// terminal is the terminal tok handed to its child, nil when it did not.
type terminal struct {
	fd int
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
	return &terminal{fd: fd}
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
