package cli

import (
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// NewRootForDocs returns tok's command tree for generators of man pages
// and completion scripts (internal/tools/gendocs). Its commands are not
// meant to run: their App has no input and discards output.
func NewRootForDocs() *cobra.Command {
	root := newRoot(NewApp(strings.NewReader(""), io.Discard, io.Discard))
	root.DisableAutoGenTag = true // reproducible output: no generation date
	return root
}
