//go:build linux

package cli

import "golang.org/x/sys/unix"

// harden keeps tokens out of reach of other processes of the same user and
// out of crash files: a non-dumpable process cannot be ptrace-attached or
// have its memory read through /proc/PID/mem by an unprivileged process,
// and gets no core dump. Only the soft RLIMIT_CORE is lowered, so that an
// exec'd child, which inherits the limit but is dumpable again after
// execve, may raise it back. Both calls are best effort: a kernel or
// sandbox that refuses them must not stop tok.
func harden() {
	_ = unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	var lim unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_CORE, &lim) == nil {
		lim.Cur = 0
		_ = unix.Setrlimit(unix.RLIMIT_CORE, &lim)
	}
}
