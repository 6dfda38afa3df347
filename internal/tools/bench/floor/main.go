// Command floor reads one item from the OS keyring with go-keyring and
// prints it: the least any keyring-backed token tool must do, against
// which `make bench` measures `tok print`.
package main

import (
	"fmt"
	"os"

	"github.com/zalando/go-keyring"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: floor SERVICE USER")
		os.Exit(2)
	}
	v, err := keyring.Get(os.Args[1], os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	fmt.Println(v)
}
