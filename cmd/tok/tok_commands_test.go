package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tok-cli/tok/internal/testing/testop"
)

// The script commands that run tok are programs (this test binary under
// their name, see TestMain), not script-local functions: testscript runs
// a program with the script's whole environment, so whatever a script
// sets with `env` reaches tok. Each runs the tok on PATH.

func init() {
	helperCommands["exits"] = exitsMain
	helperCommands["devicelogin"] = deviceLoginMain
	helperCommands["concurrent"] = concurrentMain
}

// exits N TOK-ARGS... runs tok and requires exit status N; tok's stdout
// and stderr become the command's, for the usual stdout/stderr checks.
func exitsMain() {
	if len(os.Args) < 3 {
		fail(2, "usage: exits N TOK-ARGS...")
	}
	want, err := strconv.Atoi(os.Args[1])
	if err != nil {
		fail(2, "exits: %v", err)
	}
	cmd := exec.Command(tokPath(), os.Args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err = cmd.Run()
	if _, exited := err.(*exec.ExitError); err != nil && !exited {
		fail(2, "exits: %v", err)
	}
	if got := exitCode(err); got != want {
		fail(1, "exits: tok %s: exit status %d, want %d", strings.Join(os.Args[2:], " "), got, want)
	}
}

func fail(code int, format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(code)
}

var codeLine = regexp.MustCompile(`visit (\S+) and enter the code: (\S+)`)

// devicelogin [deny] TOK-ARGS... runs `tok login TOK-ARGS...`, reads the
// verification URI and user code from its stderr as a person would, and
// approves (or denies) it on the provider's device page. tok's stdout and
// stderr become the command's; it exits with tok's status once the code
// was answered, and with 1 when tok printed no code or the answer failed.
func deviceLoginMain() {
	args, approve := os.Args[1:], true
	if len(args) > 0 && args[0] == "deny" {
		approve, args = false, args[1:]
	}
	cmd := exec.Command(tokPath(), append([]string{"login"}, args...)...)
	cmd.Stdout = os.Stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		fail(1, "devicelogin: %v", err)
	}
	if err := cmd.Start(); err != nil {
		fail(1, "devicelogin: %v", err)
	}
	answered := make(chan error, 1)
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		line := sc.Text()
		fmt.Fprintln(os.Stderr, line)
		if m := codeLine.FindStringSubmatch(line); m != nil {
			go func(uri, code string) {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				answered <- testop.ApproveDevice(ctx, uri, code, testop.User, testop.Password, approve)
			}(m[1], m[2])
		}
	}
	io.Copy(os.Stderr, stderr)
	err = cmd.Wait()
	select {
	case aerr := <-answered:
		if aerr != nil {
			fail(1, "devicelogin: answering the code: %v", aerr)
		}
	default:
		fail(1, "devicelogin: tok printed no verification URI and code")
	}
	os.Exit(exitCode(err))
}

// runAtOnce starts n commands made by newCmd at once and returns what
// each printed on stdout and, for each that failed, its error with its
// stderr.
func runAtOnce(n int, newCmd func() *exec.Cmd) ([]string, []error) {
	outs := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			cmd := newCmd()
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			outs[i] = string(out)
			if err != nil {
				errs[i] = fmt.Errorf("%v: %s", err, stderr.String())
			}
		})
	}
	wg.Wait()
	return outs, errs
}

// concurrent N TOK-ARGS... runs N copies of tok at once; all must succeed
// and print the same token, which it prints.
func concurrentMain() {
	n, err := strconv.Atoi(os.Args[1])
	if err != nil || len(os.Args) < 3 {
		fail(2, "usage: concurrent N TOK-ARGS...")
	}
	outs, errs := runAtOnce(n, func() *exec.Cmd { return exec.Command(tokPath(), os.Args[2:]...) })
	for i := range n {
		if errs[i] != nil {
			fail(1, "concurrent: run %d failed: %v", i, errs[i])
		}
		if outs[i] != outs[0] || strings.TrimSpace(outs[i]) == "" {
			fail(1, "concurrent: run %d printed a different token", i)
		}
	}
	fmt.Print(outs[0])
}
