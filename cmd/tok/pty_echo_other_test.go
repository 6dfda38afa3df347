//go:build darwin || freebsd

package main

import "golang.org/x/sys/unix"

// echoOn reports whether the terminal on fd echoes typed characters.
func echoOn(fd int) bool {
	t, err := unix.IoctlGetTermios(fd, unix.TIOCGETA)
	return err != nil || t.Lflag&unix.ECHO != 0
}
