package cli

import (
	"context"
	"fmt"
	"os"
	"runtime"

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

// readSecret shows prompt on tty and reads one line without echo. The read
// runs aside so that ctx (Ctrl-C) can end the wait; the terminal state is
// restored either way.
func readSecret(ctx context.Context, tty *os.File, prompt string) (string, error) {
	fd := int(tty.Fd())
	state, err := term.GetState(fd)
	if err != nil {
		return "", err
	}
	fmt.Fprint(tty, prompt)
	type line struct {
		b   []byte
		err error
	}
	got := make(chan line, 1)
	go func() {
		b, err := term.ReadPassword(fd)
		got <- line{b, err}
	}()
	select {
	case l := <-got:
		fmt.Fprintln(tty)
		return string(l.b), l.err
	case <-ctx.Done():
		term.Restore(fd, state)
		fmt.Fprintln(tty)
		return "", ctx.Err()
	}
}
