package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"golang.org/x/term"
)

// openTTY opens the controlling terminal, so that a passphrase is read
// from the person even when stdin carries data.
func openTTY() (*os.File, error) {
	if runtime.GOOS == "windows" {
		return os.OpenFile("CONIN$", os.O_RDWR, 0)
	}
	return os.OpenFile("/dev/tty", os.O_RDWR, 0)
}

// errNoEchoControl: this system's terminal modes are not reachable here;
// term.ReadPassword does the work instead.
var errNoEchoControl = errors.New("no echo control")

// readSecret shows prompt on tty and reads one line without echo. Echo
// goes off before the prompt shows, so nothing typed ahead is echoed. The
// read runs aside so that ctx (Ctrl-C) can end the wait; the terminal
// modes are restored either way.
func readSecret(ctx context.Context, tty *os.File, prompt string) (string, error) {
	fd := int(tty.Fd())
	state, err := term.GetState(fd)
	if err != nil {
		return "", err
	}
	defer term.Restore(fd, state)
	read := func() (string, error) {
		line, err := bufio.NewReader(tty).ReadString('\n')
		return strings.TrimRight(line, "\r\n"), err
	}
	if err := echoOff(fd); errors.Is(err, errNoEchoControl) {
		read = func() (string, error) { b, err := term.ReadPassword(fd); return string(b), err }
	} else if err != nil {
		return "", err
	}
	// CONIN$ takes no output: Windows prompts go to stderr.
	out := io.Writer(tty)
	if runtime.GOOS == "windows" {
		out = os.Stderr
	}
	fmt.Fprint(out, prompt)
	type line struct {
		s   string
		err error
	}
	got := make(chan line, 1)
	go func() {
		s, err := read()
		got <- line{s, err}
	}()
	select {
	case l := <-got:
		fmt.Fprintln(out)
		return l.s, l.err
	case <-ctx.Done():
		fmt.Fprintln(out)
		return "", ctx.Err()
	}
}
