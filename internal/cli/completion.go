package cli

import (
	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/tokerr"
)

func newCompletionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print a shell completion script",
		Long: `completion prints the completion script for bash, zsh, fish or PowerShell
on stdout. It completes commands, flags, provider names and stored logins.`,
		Example: `  source <(tok completion bash)
  tok completion zsh > "${fpath[1]}/_tok"
  tok completion fish > ~/.config/fish/completions/tok.fish`,
		ValidArgs:   []string{"bash", "zsh", "fish", "powershell"},
		Args:        usageArgs(1, "a shell: bash, zsh, fish or powershell"),
		Annotations: map[string]string{"config": "none"},
		RunE: func(cmd *cobra.Command, args []string) error {
			root, out := cmd.Root(), cmd.OutOrStdout()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, true)
			case "zsh":
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, true)
			case "powershell":
				return root.GenPowerShellCompletionWithDesc(out)
			}
			return tokerr.New(tokerr.Usage, "unknown shell %q: use bash, zsh, fish or powershell", args[0])
		},
	}
}
