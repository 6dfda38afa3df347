package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/store"
)

func newKeygenCmd(a *App) *cobra.Command {
	return &cobra.Command{
		Use:   "keygen",
		Short: "Make a key for the file store (an age X25519 identity)",
		Long: `keygen prints a new age X25519 identity (AGE-SECRET-KEY-1...) on stdout, and
its public recipient (age1...) on stderr. Give the identity to tok as
TOK_FILE_KEY, or write it to a 0600 file named by TOK_FILE_KEY_FILE or
file_key_file: in the config. Unlike a passphrase, a key costs no key
derivation on each run (README "File store keys").`,
		Example: `  TOK_FILE_KEY=$(tok keygen)
  (umask 077; tok keygen > ~/.config/tok/file.key)`,
		Args:        usageArgs(0, "no arguments"),
		Annotations: map[string]string{"config": "none"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runKeygen(a)
		},
	}
}

// runKeygen writes the identity to stdout only: a script captures it, a
// terminal shows it, and nothing else ever prints it.
func runKeygen(a *App) error {
	k, err := store.GenerateKey()
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintln(a.Stdout, k.Identity()); err != nil {
		return err
	}
	a.note("public key (recipient): %s", k.Recipient())
	return nil
}
