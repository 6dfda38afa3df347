//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package cli

func echoOff(int) error { return errNoEchoControl }
