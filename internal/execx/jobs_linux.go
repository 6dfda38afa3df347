package execx

import (
	"errors"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// cldStopped is si_code for a child stopped by a signal (CLD_STOPPED).
const cldStopped = 5

// superviseStops returns when the child has exited, leaving it to be
// reaped by cmd.Wait. Meanwhile it does for Ctrl-Z what a shell does: the
// terminal stopped the child's group, which holds the terminal; tok takes
// the terminal back and stops its own group, so the shell sees the job
// stop; when the shell resumes tok (fg or bg), tok hands the terminal back
// if it has it and resumes the child.
func (t *terminal) superviseStops(pid int) {
	if t == nil {
		return
	}
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WSTOPPED|unix.WNOWAIT, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil || info.Code != cldStopped {
			return
		}
		// Consume the stop, so the next wait reports what comes next.
		if err := unix.Waitid(unix.P_PID, pid, &info, unix.WSTOPPED, nil); err != nil && !errors.Is(err, syscall.EINTR) {
			return
		}
		t.childStopped(pid)
	}
}

func (t *terminal) childStopped(pgid int) {
	if fg, err := unix.IoctlGetInt(t.fd, unix.TIOCGPGRP); err == nil && fg == pgid {
		t.childHasIt.Store(false)
		t.setForeground(unix.Getpgrp())
	}
	stopSelf()
	if isForegroundTTY(t.fd) {
		t.setForeground(pgid)
		t.childHasIt.Store(true)
	}
	unix.Kill(-pgid, syscall.SIGCONT)
}

// stopSelf stops tok's process group as the terminal would have, and
// returns once tok runs again. The kernel discards the stop for an
// orphaned group (nobody would resume it); the wait is bounded for that.
func stopSelf() {
	cont := make(chan os.Signal, 1)
	signal.Notify(cont, syscall.SIGCONT)
	defer signal.Stop(cont)
	unix.Kill(0, syscall.SIGTSTP)
	select {
	case <-cont:
	case <-time.After(250 * time.Millisecond):
	}
}
