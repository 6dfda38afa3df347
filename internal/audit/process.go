package audit

import (
	"os"
	"strconv"
	"strings"

	"github.com/gofrs/flock"
)

// process is what a line says about the process that took a token. It is
// read once per tok process.
type process struct {
	pid, ppid         int
	parent, parentExe string
	cwd               string
}

func thisProcess() *process {
	p := &process{pid: os.Getpid(), ppid: os.Getppid()}
	p.cwd, _ = os.Getwd()
	p.parent, p.parentExe = parentOf(p.ppid)
	return p
}

// parentOf reads a process's name and executable from /proc where the OS
// has one (Linux); elsewhere both stay empty. The executable of a process
// of another user is not readable: then only the name is given.
func parentOf(pid int) (name, exe string) {
	dir := "/proc/" + strconv.Itoa(pid)
	if b, err := os.ReadFile(dir + "/comm"); err == nil {
		name = strings.TrimSpace(string(b))
	}
	exe, _ = os.Readlink(dir + "/exe")
	return name, strings.TrimSuffix(exe, " (deleted)")
}

func lockFile(path string) (func(), error) {
	fl := flock.New(path)
	if err := fl.Lock(); err != nil {
		return nil, err
	}
	return func() { fl.Unlock() }, nil
}
