package cli

import (
	"fmt"
	"slices"
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
id is set. --json prints the same for scripts. It makes no request: a
device flow is listed where tok knows a device authorization endpoint (a
preset's, device_auth_url, or the issuer's metadata as last discovered),
and as "device?" (JSON unverified_flows) where it has not read the
issuer's metadata yet. A provider set to flow: browser or flow: device
lists that flow alone ("-" when tok cannot run it).`,
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
	Name       string   `json:"name"`
	Builtin    bool     `json:"builtin"`
	Configured bool     `json:"configured"`
	Flows      []string `json:"flows"`
	// Unverified are flows tok cannot confirm without reading the
	// provider's metadata (device, before the first login).
	Unverified  []string `json:"unverified_flows,omitempty"`
	ClientIDSet bool     `json:"client_id_set"`
	Issuer      string   `json:"issuer,omitempty"`
	MCP         string   `json:"mcp,omitempty"`
	Env         []string `json:"env"`
	RegisterAt  string   `json:"register_at,omitempty"`
	Error       string   `json:"error,omitempty"`
}

func runProviders(a *App, asJSON bool) error {
	var infos []providerInfo
	r, d := a.resolver(), a.discoverer()
	for _, name := range r.Providers() {
		_, inFile := a.cfg.Providers[name]
		info := providerInfo{Name: name, Configured: inFile, Flows: []string{}, Env: []string{}}
		p, err := r.Provider(name)
		if err != nil {
			info.Error = oneLine(err.Error())
		} else {
			info.Builtin, info.ClientIDSet = p.Preset, p.ClientID != ""
			info.Flows, info.Unverified = flowsOf(p, d)
			info.Issuer, info.MCP, info.Env, info.RegisterAt = p.Issuer, p.MCP, p.Env, p.RegisterAt
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
		flows := slices.Clone(i.Flows)
		for _, f := range i.Unverified {
			flows = append(flows, f+"?")
		}
		shown := strings.Join(flows, ",")
		if shown == "" {
			shown = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", i.Name, kind, shown, client, strings.Join(i.Env, ","))
	}
	return tw.Flush()
}

// flowsOf lists the flows a provider can run, as far as tok knows without
// a request (README "Configuration"): a device flow needs a device
// authorization endpoint, from the preset, device_auth_url or the issuer's
// metadata as last discovered. An issuer whose metadata tok has not read
// yet may or may not have one: device is then unverified. tok registers
// with MCP servers for the browser flow only. A provider whose flow is
// browser or device lists that flow only (README "Built-in providers").
func flowsOf(p *provider.Provider, d *provider.Discoverer) (flows, unverified []string) {
	if p.Flow == config.FlowClientCredentials {
		return []string{config.FlowClientCredentials}, nil
	}
	flows = []string{config.FlowBrowser}
	mcp := p.MCP != "" || p.MCPServer != nil
	switch {
	case p.DeviceAuthURL != "":
		flows = append(flows, config.FlowDevice)
	case mcp && p.ClientID == "":
	case p.Issuer == "":
	case d.Cached(p.Issuer) == nil || mcp:
		unverified = append(unverified, config.FlowDevice)
	case d.Cached(p.Issuer).DeviceAuthURL != "":
		flows = append(flows, config.FlowDevice)
	}
	if p.ClientSecret != "" {
		flows = append(flows, config.FlowClientCredentials)
	}
	if p.Flow == config.FlowBrowser || p.Flow == config.FlowDevice {
		// A provider set to one flow (flow: browser or device) is
		// listed with that flow alone, if tok can run it.
		only := func(f string) bool { return f != p.Flow }
		flows, unverified = slices.DeleteFunc(flows, only), slices.DeleteFunc(unverified, only)
	}
	return flows, unverified
}
