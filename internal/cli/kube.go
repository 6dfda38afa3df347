package cli

import (
	"time"

	"github.com/spf13/cobra"
)

func newKubeCredentialCmd(a *App) *cobra.Command {
	// kube-credential is print --format exec-credential under its own
	// name in the audit log.
	opts := &printOptions{Format: formatExecCredential, verb: "kube-credential"}
	cmd := &cobra.Command{
		Use:   "kube-credential TARGET",
		Short: "Print a Kubernetes ExecCredential for a kubeconfig exec entry",
		Long: `kube-credential is tok print TARGET --format exec-credential: it prints a
client.authentication.k8s.io ExecCredential (the version KUBERNETES_EXEC_INFO
names, v1 by default) holding a fresh token and its expirationTimestamp. The
token is the ID token when the provider has kube_token: id_token (Kubernetes
OpenID Connect authentication), else the access token. It never starts a
login: with none stored it exits 4.`,
		Example: `  # ~/.kube/config
  users:
  - name: dex
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1
        command: tok
        args: [kube-credential, dex]
        interactiveMode: Never`,
		Args:              usageArgs(1, "a TARGET (PROVIDER[:ACCOUNT])"),
		ValidArgsFunction: completeTargets(a),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Target = args[0]
			opts.minSet = cmd.Flags().Changed("min-ttl")
			return runPrint(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().DurationVar(&opts.MinTTL, "min-ttl", 60*time.Second, "refresh first when the token has less than this left (env TOK_MIN_TTL)")
	return cmd
}
