package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
)

// Set by the linker (-X) in release builds.
var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print tok's version",
		Long: `version prints tok's version, the commit and date it was built from, and the
Go version and platform it was built with.`,
		Example:     `  tok version`,
		Args:        usageArgs(0, "no arguments"),
		Annotations: map[string]string{"config": "none"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "tok %s (commit %s, built %s, %s %s/%s)\n",
				version, commit, date, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return err
		},
	}
}
