// Command gendocs writes tok's man pages, generated from its commands
// with cobra's doc generator: `go run ./internal/tools/gendocs DIR`
// (`make man`). Release archives and packages ship them.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra/doc"

	"github.com/tok-cli/tok/internal/cli"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gendocs DIR")
		os.Exit(2)
	}
	if err := writeMan(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

// writeMan writes one page per command, tok.1, tok-login.1 and so on,
// and one per help topic (tok-exit-codes.1), which cobra's tree skips.
func writeMan(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	header := &doc.GenManHeader{Title: "TOK", Section: "1", Source: "tok", Manual: "tok manual"}
	root := cli.NewRootForDocs()
	if err := doc.GenManTree(root, header, dir); err != nil {
		return err
	}
	for _, topic := range root.Commands() {
		if !topic.IsAdditionalHelpTopicCommand() {
			continue
		}
		f, err := os.Create(filepath.Join(dir, "tok-"+topic.Name()+".1"))
		if err != nil {
			return err
		}
		err = doc.GenMan(topic, header, f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}
