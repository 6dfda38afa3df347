// Package execx runs the child of `tok exec`: tokens in its environment
// only, signals forwarded exactly once, its exit status returned.
package execx

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"sort"
	"strings"
)

// Spec describes the child process.
type Spec struct {
	Argv   []string
	Env    map[string]string // added to (and overriding) tok's environment
	Strip  []string          // variables of tok's own not passed on
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// Exit statuses for a child that could not start, as shells use them.
const (
	NotFound      = 127
	NotExecutable = 126
)

// StartError is a child that could not start: not found, or not
// executable. Status is the exit status shells give for it.
type StartError struct {
	Name   string // the command as given, Argv[0]
	Status int    // NotFound or NotExecutable
	Err    error
}

func (e *StartError) Error() string {
	if e.Status == NotFound {
		return e.Name + ": command not found"
	}
	return e.Name + ": command cannot be run"
}

func (e *StartError) Unwrap() error { return e.Err }

// Run starts the child, forwards SIGINT, SIGTERM and SIGHUP to it and
// returns its exit status (128+N when killed by signal N). A child that
// cannot start is a *StartError; any other error means tok itself failed
// before the child ran.
func Run(s Spec) (int, error) {
	path, err := exec.LookPath(s.Argv[0])
	if err != nil {
		return startFailure(s, err)
	}
	cmd := exec.Command(path, s.Argv[1:]...)
	cmd.Args[0] = s.Argv[0]
	cmd.Env = Environ(os.Environ(), s.Env, s.Strip)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = s.Stdin, s.Stdout, s.Stderr
	term := prepare(cmd)
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, forwarded...)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		term.restore()
		return startFailure(s, err)
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case sig := <-sigs:
				if !term.kernelDelivers(sig) {
					cmd.Process.Signal(sig)
				}
			case <-done:
				return
			}
		}
	}()
	term.superviseStops(cmd.Process.Pid)
	werr := cmd.Wait()
	close(done)
	term.restore()
	return exitStatus(cmd.ProcessState, werr), nil
}

func startFailure(s Spec, err error) (int, error) {
	code := NotExecutable
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
		code = NotFound
	}
	return code, &StartError{Name: s.Argv[0], Status: code, Err: err}
}

// Environ builds the child's environment: base without strip and without
// the variables set, then set in a stable order.
func Environ(base []string, set map[string]string, strip []string) []string {
	out := make([]string, 0, len(base)+len(set))
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		if _, over := set[name]; over || contains(strip, name) {
			continue
		}
		out = append(out, kv)
	}
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		out = append(out, n+"="+set[n])
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
