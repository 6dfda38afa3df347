//go:build unix

package main

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func init() {
	helperCommands["sigchild"] = sigChild
	helperCommands["kill-self"] = killSelf
}

var signalNames = map[os.Signal]string{syscall.SIGINT: "SIGINT", syscall.SIGTERM: "SIGTERM", syscall.SIGHUP: "SIGHUP"}

// sigchild [die|EXIT] prints "ready PID", then counts SIGINT, SIGTERM and
// SIGHUP until 500ms pass without one after the first, prints "SIG xN"
// for each and exits with EXIT (default 0), or with "die" kills itself
// with the first signal it got.
func sigChild() {
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	fmt.Println("ready", os.Getpid())
	counts := map[string]int{}
	first := <-sigs
	counts[signalNames[first]]++
	for quiet := time.After(quietFor()); ; {
		select {
		case s := <-sigs:
			counts[signalNames[s]]++
			continue
		case <-quiet:
		}
		break
	}
	var report string
	for _, n := range []string{"SIGINT", "SIGTERM", "SIGHUP"} {
		if counts[n] > 0 {
			report += fmt.Sprintf("%s x%d\n", n, counts[n])
		}
	}
	fmt.Print(report)
	// A child whose terminal is gone reports to a file as well.
	if f := os.Getenv("SIGCHILD_REPORT"); f != "" {
		os.WriteFile(f, []byte(report), 0o600)
	}
	if len(os.Args) > 1 && os.Args[1] == "die" {
		signal.Reset()
		syscall.Kill(os.Getpid(), first.(syscall.Signal))
		time.Sleep(5 * time.Second)
	}
	code := 0
	if len(os.Args) > 1 {
		code, _ = strconv.Atoi(os.Args[1])
	}
	os.Exit(code)
}

// quietFor is how long sigchild listens for more signals after the first:
// $SIGCHILD_QUIET, else 500ms.
func quietFor() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("SIGCHILD_QUIET")); err == nil {
		return d
	}
	return 500 * time.Millisecond
}

// kill-self SIGNAL dies by SIGNAL (a number).
func killSelf() {
	n, _ := strconv.Atoi(os.Args[1])
	signal.Reset()
	syscall.Kill(os.Getpid(), syscall.Signal(n))
	time.Sleep(5 * time.Second)
	os.Exit(1)
}
