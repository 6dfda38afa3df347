package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/tokerr"
)

// Help topics, read with `tok help TOPIC` as gh's are: commands that run
// nothing, so cobra lists them under "Additional help topics" and
// `make man` writes a page for each. Their text is the README's
// "Exit status" and "Environment" tables; help_test.go keeps the two in
// step.
func newHelpTopics() []*cobra.Command {
	return []*cobra.Command{
		helpTopic("exit-codes", "Exit status of tok's commands", exitCodesHelp),
		helpTopic("environment", "Environment variables tok reads", environmentHelp),
	}
}

func helpTopic(name, short, long string) *cobra.Command {
	return &cobra.Command{Use: name, Short: short, Long: long, Annotations: map[string]string{"config": "none"}}
}

const exitCodesHelp = `tok exits with one of these statuses:

    0    success
    1    any other error
    2    usage: unknown command, flag, provider or account; bad config
    4    login needed: nothing stored, or the provider rejected the refresh
    5    token store unavailable (keyring not reachable or timed out, file
         store without key or passphrase, or one that does not open the
         entries already stored, etcd cluster unreachable or without
         quorum, or a key that does not open the fleet's records)
    130  interrupted

tok exec exits with the child's status instead: 128+N when it was killed by
signal N, 127 when the command is missing, 126 when it cannot run.

Errors are one line on stderr, "tok: ...", ending with the command that
fixes it where there is one.`

const environmentHelp = `tok reads these variables:

    TOK_CONFIG             config file
    TOK_STATE_DIR          state dir (locks, login index, discovery cache, file
                           store); default $XDG_STATE_HOME/tok (~/.local/state/tok)
    TOK_STORE              keyring, file or etcd
    TOK_KEYRING_SERVICE    keyring service name tok's items are stored under
                           (default tok), to keep separate sets of logins apart
    TOK_FILE_KEY           file-store key, an age identity AGE-SECRET-KEY-1...
                           (tok keygen); wins over a passphrase
    TOK_FILE_KEY_FILE      file holding the file-store key (overrides
                           file_key_file:)
    TOK_PASSPHRASE         file-store passphrase
    TOK_PASSPHRASE_FILE    file whose first line is the file-store passphrase
                           (a mounted secret); without either, tok asks on the
                           terminal when there is one
    TOK_MIN_TTL            default --min-ttl
    TOK_BROWSER, then BROWSER
                           browser opener: an executable's path (spaces
                           allowed) or a shell-quoted command line; the URL is
                           appended, or replaces %s
    TOK_ETCD_USERNAME, TOK_ETCD_PASSWORD
                           etcd user of the fleet's store
    TOK_ETCD_ENDPOINTS, TOK_ETCD_PREFIX, TOK_ETCD_CA_FILE, TOK_ETCD_CERT_FILE,
    TOK_ETCD_KEY_FILE      replace the etcd: block's keys

Providers from the environment, for provider P (name upper-cased,
non-alphanumerics as _):

    TOK_<P>_CLIENT_ID, TOK_<P>_CLIENT_SECRET
                           client credentials of provider P
    TOK_<P>_TOKEN_PARAMS, TOK_<P>_DEFAULT_TTL
                           provider P's token_params as k=v&k2=v2 (URL query
                           form, values %-escaped), and default_ttl
    TOK_<P>_ISSUER, TOK_<P>_AUTH_URL, TOK_<P>_TOKEN_URL, TOK_<P>_DEVICE_AUTH_URL,
    TOK_<P>_REVOCATION_URL, TOK_<P>_USERINFO_URL, TOK_<P>_SCOPES, TOK_<P>_FLOW
                           define or override provider P from the environment
                           alone (CI jobs without a config file)

NO_COLOR turns colour off; CI, SSH_CONNECTION, SSH_TTY, DISPLAY and
WAYLAND_DISPLAY decide whether login's auto flow can open a browser.`

// newHelpCmd is cobra's help command, except that an unknown topic is a
// usage error (exit 2, one line on stderr) rather than the usage text on
// stdout with exit 0 (README "Exit status"). `tok help X` shows what
// `tok X --help` shows, -h/--help included.
func newHelpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "help [COMMAND|TOPIC]",
		Short: "Help about any command",
		Long:  "Help for any command (what it does, with examples) or topic: exit-codes, environment.",
		Example: `  tok help print
  tok help exit-codes`,
		Annotations: map[string]string{"config": "none"},
		ValidArgsFunction: func(c *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			var names []cobra.Completion
			if cmd, _, err := c.Root().Find(args); err == nil {
				for _, sub := range cmd.Commands() {
					if sub.IsAvailableCommand() || sub.IsAdditionalHelpTopicCommand() {
						names = append(names, sub.Name())
					}
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			cmd, _, err := c.Root().Find(args)
			if err != nil || cmd == nil {
				return tokerr.New(tokerr.Usage, "unknown help topic %q", strings.Join(args, " ")).WithHint("run: tok --help")
			}
			// Cobra adds a command's help flag only when its own flags are
			// parsed, which `tok help X` never does for X (cobra's help
			// command adds it the same way).
			cmd.InitDefaultHelpFlag()
			return cmd.Help()
		},
	}
}
