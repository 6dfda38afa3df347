package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
)

func init() {
	// sha12 FILE prints the audit log's id of the token in FILE: the first
	// 12 hex digits of its SHA-256.
	helperCommands["sha12"] = func() {
		b, err := os.ReadFile(os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		sum := sha256.Sum256([]byte(strings.TrimSpace(string(b))))
		fmt.Println(hex.EncodeToString(sum[:6]))
	}
	// contains FILE NEEDLE-FILE exits 0 when FILE holds NEEDLE-FILE's
	// text (trimmed), 1 otherwise.
	helperCommands["contains"] = func() {
		hay, err1 := os.ReadFile(os.Args[1])
		needle, err2 := os.ReadFile(os.Args[2])
		if err1 != nil || err2 != nil || len(strings.TrimSpace(string(needle))) == 0 {
			fmt.Fprintln(os.Stderr, "contains:", err1, err2)
			os.Exit(2)
		}
		if !strings.Contains(string(hay), strings.TrimSpace(string(needle))) {
			os.Exit(1)
		}
	}
	// appendline FILE TEXT appends TEXT and a newline to FILE.
	helperCommands["appendline"] = func() {
		f, err := os.OpenFile(os.Args[1], os.O_WRONLY|os.O_APPEND, 0)
		if err == nil {
			_, err = fmt.Fprintln(f, os.Args[2])
			f.Close()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	// filemode FILE prints FILE's permission bits, like 600.
	helperCommands["filemode"] = func() {
		fi, err := os.Stat(os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("%o\n", fi.Mode().Perm())
	}
}
