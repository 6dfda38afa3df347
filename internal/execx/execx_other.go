//go:build !unix

package execx

import (
	"os"
	"os/exec"
)

var forwarded = []os.Signal{os.Interrupt}

func prepare(*exec.Cmd) func() { return func() {} }

func exitStatus(ps *os.ProcessState, _ error) int {
	if ps == nil {
		return 1
	}
	return ps.ExitCode()
}
