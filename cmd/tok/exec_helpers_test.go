package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// The helpers below are children for `tok exec` in scripts and Go tests.
// They register themselves so that commands_test.go stays as it is.
func init() {
	helperCommands["tty-child"] = ttyChild
	helperCommands["cat-files"] = catFiles
	// cat-stdin copies stdin to stdout and says "to stderr" on stderr.
	helperCommands["cat-stdin"] = func() {
		io.Copy(os.Stdout, os.Stdin)
		fmt.Fprintln(os.Stderr, "to stderr")
	}
	// gone FILE succeeds when the path written in FILE, and its
	// directory, no longer exist.
	helperCommands["gone"] = func() {
		b, _ := os.ReadFile(os.Args[1])
		path := strings.TrimSpace(string(b))
		for _, p := range []string{path, path[:max(strings.LastIndexByte(path, '/'), 0)]} {
			if _, err := os.Stat(p); len(path) == 0 || err == nil {
				fmt.Printf("%q is still there\n", p)
				os.Exit(1)
			}
		}
	}
	helperCommands["value-of"] = func() { fmt.Println(os.Getenv(os.Args[1])) }
	// expand SRC DST writes SRC to DST with $VARIABLES expanded, for
	// config files that name the script's provider.
	helperCommands["expand"] = func() {
		b, err := os.ReadFile(os.Args[1])
		if err == nil {
			err = os.WriteFile(os.Args[2], []byte(os.ExpandEnv(string(b))), 0o600)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

// tty-child says "reading", reads a line from stdin, echoes it, then reports Ctrl-C as
// sigchild does and exits 7.
func ttyChild() {
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, syscall.SIGINT)
	fmt.Println("reading")
	line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	fmt.Printf("read: %s\n", strings.TrimSpace(line))
	fmt.Println("waiting for ^C")
	<-sigs
	n := 1
	for quiet := time.After(500 * time.Millisecond); ; n++ {
		select {
		case <-sigs:
			continue
		case <-quiet:
		}
		break
	}
	fmt.Printf("SIGINT x%d\n", n)
	os.Exit(7)
}

// cat-files VAR... prints, for each VAR, "VAR=" and the content of the
// file named by $VAR, and the file's mode and its directory's.
func catFiles() {
	for _, name := range os.Args[1:] {
		path := os.Getenv(name)
		b, err := os.ReadFile(path)
		if err != nil {
			fmt.Printf("%s: %v\n", name, err)
			os.Exit(1)
		}
		fi, _ := os.Stat(path)
		di, _ := os.Stat(path[:strings.LastIndexByte(path, '/')])
		fmt.Printf("%s=%s mode=%o dirmode=%o\n", name, b, fi.Mode().Perm(), di.Mode().Perm())
	}
}
