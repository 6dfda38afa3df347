// Command tok-etcd is the helper tok starts for `store: etcd` (README "A
// store shared by a fleet"): it holds the connection to the etcd cluster
// and answers tok's requests on stdin and stdout (package etcdproto).
// Nobody runs it by hand; it lives next to tok.
package main

import (
	"fmt"
	"os"

	"github.com/tok-cli/tok/internal/etcdkv"
	"github.com/tok-cli/tok/internal/etcdproto"
)

func main() {
	if err := etcdproto.Serve(os.Stdin, os.Stdout, etcdkv.Open); err != nil {
		fmt.Fprintln(os.Stderr, "tok-etcd:", err)
		os.Exit(1)
	}
}
