//go:build !unix

package execx

import (
	"os"
	"os/exec"
)

var forwarded = []os.Signal{os.Interrupt}

type terminal struct{}

func prepare(*exec.Cmd) *terminal { return nil }

func (*terminal) restore() {}

func (*terminal) superviseStops(int) {}

func (*terminal) kernelDelivers(os.Signal) bool { return false }

func exitStatus(ps *os.ProcessState, _ error) int {
	if ps == nil {
		return 1
	}
	return ps.ExitCode()
}
