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

// prepare puts the child in its own process group, so that a signal sent
// to tok's group (Ctrl-C, a shell's kill) reaches the child once, through
// tok, not twice. On a terminal the child's group becomes the foreground
// group, so an interactive child reads the terminal and gets Ctrl-C
// directly; restore hands the terminal back to tok afterwards.
func prepare(cmd *exec.Cmd) (restore func()) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	tty, ok := cmd.Stdin.(*os.File)
	if !ok || !isForegroundTTY(int(tty.Fd())) {
		return func() {}
	}
	fd := int(tty.Fd())
	cmd.SysProcAttr.Foreground = true
	cmd.SysProcAttr.Ctty = fd
	return func() {
		// tcsetpgrp from a background group raises SIGTTOU; ignore it
		// for the moment it takes to take the terminal back.
		signal.Ignore(syscall.SIGTTOU)
		defer signal.Reset(syscall.SIGTTOU)
		unix.IoctlSetPointerInt(fd, unix.TIOCSPGRP, unix.Getpgrp())
	}
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
