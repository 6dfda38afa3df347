package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/config"
	"github.com/tok-cli/tok/internal/provider"
)

func newProvidersCmd(a *App) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "providers",
		Short: "List built-in and configured providers",
		Long: `providers lists the built-in presets and the providers of the config file
and the environment (TOK_<P>_* variables): their flows, and whether a client
id is set. --json prints the same for scripts.`,
		Example: `  tok providers
  tok providers --json | jq -r '.[].name'`,
		Args: usageArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runProviders(a, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON for scripts")
	return cmd
}

type providerInfo struct {
	Name        string   `json:"name"`
	Builtin     bool     `json:"builtin"`
	Configured  bool     `json:"configured"`
	Flows       []string `json:"flows"`
	ClientIDSet bool     `json:"client_id_set"`
	Issuer      string   `json:"issuer,omitempty"`
	MCP         string   `json:"mcp,omitempty"`
	Env         []string `json:"env"`
	RegisterAt  string   `json:"register_at,omitempty"`
	Error       string   `json:"error,omitempty"`
}

func runProviders(a *App, asJSON bool) error {
	var infos []providerInfo
	r := a.resolver()
	for _, name := range r.Providers() {
		_, inFile := a.cfg.Providers[name]
		info := providerInfo{Name: name, Configured: inFile, Flows: []string{}, Env: []string{}}
		p, err := r.Provider(name)
		if err != nil {
			info.Error = oneLine(err.Error())
		} else {
			info.Builtin, info.ClientIDSet = p.Preset, p.ClientID != ""
			info.Flows, info.Issuer, info.MCP, info.Env, info.RegisterAt = flowsOf(p), p.Issuer, p.MCP, p.Env, p.RegisterAt
		}
		infos = append(infos, info)
	}
	if asJSON {
		return writeJSON(a.Stdout, infos)
	}
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROVIDER\tKIND\tFLOWS\tCLIENT ID\tENV")
	for _, i := range infos {
		kind := "configured"
		switch {
		case i.Builtin:
			kind = "built-in"
		case !i.Configured && i.MCP != "":
			kind = "mcp"
		case !i.Configured:
			kind = "environment"
		}
		client := "not set"
		if i.ClientIDSet {
			client = "set"
		}
		if i.Error != "" {
			client = "error: " + i.Error
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", i.Name, kind, strings.Join(i.Flows, ","), client, strings.Join(i.Env, ","))
	}
	return tw.Flush()
}

// flowsOf lists the flows a provider can run with what is known without
// network: discovery may reveal a device endpoint later.
func flowsOf(p *provider.Provider) []string {
	if p.Flow == config.FlowClientCredentials {
		return []string{config.FlowClientCredentials}
	}
	flows := []string{config.FlowBrowser}
	if p.DeviceAuthURL != "" || p.Issuer != "" {
		flows = append(flows, config.FlowDevice)
	}
	if p.ClientSecret != "" {
		flows = append(flows, config.FlowClientCredentials)
	}
	return flows
}
