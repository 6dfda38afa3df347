//go:build unix

package main

import (
	"os"
	"runtime"
	"syscall"
)

// maxRSSOf is a finished process's peak RSS in bytes, from rusage.
func maxRSSOf(ps *os.ProcessState) int64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	if runtime.GOOS == "darwin" {
		return int64(ru.Maxrss) // bytes there
	}
	return int64(ru.Maxrss) * 1024 // kilobytes on Linux and the BSDs
}
