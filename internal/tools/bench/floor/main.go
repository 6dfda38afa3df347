// Command floor reads one item from the OS keyring with go-keyring and
// prints it: the least any keyring-backed token tool must do, against
// which `make bench` measures `tok print`. With `-- CMD ARGS...` it starts
// CMD with the item in its environment (TOKEN) instead and exits with its
// status: the least any `exec`-style tool must do, against which the bench
// sets `tok exec`.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"

	"github.com/zalando/go-keyring"
)

func main() {
	if len(os.Args) < 3 || (len(os.Args) > 3 && (os.Args[3] != "--" || len(os.Args) < 5)) {
		fmt.Fprintln(os.Stderr, "usage: floor SERVICE USER [-- CMD ARGS...]")
		os.Exit(2)
	}
	v, err := keyring.Get(os.Args[1], os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	if len(os.Args) == 3 {
		fmt.Println(v)
		return
	}
	cmd := exec.Command(os.Args[4], os.Args[5:]...)
	cmd.Env = append(os.Environ(), "TOKEN="+v)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		os.Exit(exit.ExitCode())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}
