package cli

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/tok-cli/tok/internal/config"
	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/target"
	"github.com/tok-cli/tok/internal/tokerr"
)

// decodeProfiles fills cfg.Profiles from `profiles:` (README "Profiles"),
// refusing unknown keys, scopes for a target the profile does not name and
// env entries exec would refuse as --env.
func decodeProfiles(v *viper.Viper, cfg *config.Config, file string) error {
	raw := map[string]config.Profile{}
	err := v.UnmarshalKey("profiles", &raw, func(dc *mapstructure.DecoderConfig) {
		dc.ErrorUnused = true
		dc.WeaklyTypedInput = true
	})
	if err != nil {
		return tokerr.New(tokerr.Usage, "config file %s: profiles: %s", file, flatten(err.Error()))
	}
	for name, p := range raw {
		if len(p.Targets) == 0 {
			return tokerr.New(tokerr.Usage, "config file %s: profile %s names no targets", file, name)
		}
		for _, kv := range p.Env {
			if _, err := parseBinding(fmt.Sprintf("config file %s: profile %s: env", file, name), kv); err != nil {
				return err
			}
		}
		// viper lower-cases map keys: each key of scopes goes back to
		// its target as written.
		scopes := map[string][]string{}
		for key, s := range p.Scopes {
			i := slices.IndexFunc(p.Targets, func(t string) bool { return strings.EqualFold(target.Canonical(t), target.Canonical(key)) })
			if i < 0 {
				return tokerr.New(tokerr.Usage, "config file %s: profile %s has scopes for %s, which is not one of its targets (%s)", file, name, key, strings.Join(p.Targets, ", "))
			}
			scopes[p.Targets[i]] = append(scopes[p.Targets[i]], s...)
		}
		p.Scopes = scopes
		raw[name] = p
	}
	cfg.Profiles = raw
	return nil
}

// sameTarget reports whether two target arguments name one login
// (github and github:default do).
func sameTarget(a, b string) bool { return target.Canonical(a) == target.Canonical(b) }

// profile returns the named profile, or a usage error with a did-you-mean.
func (a *App) profile(name string) (config.Profile, error) {
	if p, ok := a.cfg.Profiles[name]; ok {
		return p, nil
	}
	e := tokerr.New(tokerr.Usage, "unknown profile %q", name)
	if s := provider.Closest(name, profileNames(a.cfg)); s != "" {
		return config.Profile{}, e.WithHint("did you mean %s?", s)
	}
	if len(a.cfg.Profiles) == 0 {
		return config.Profile{}, e.WithHint("the config file defines no profiles: see tok profiles --help")
	}
	return config.Profile{}, e.WithHint("run: tok profiles")
}

func profileNames(cfg *config.Config) []string {
	names := make([]string, 0, len(cfg.Profiles))
	for n := range cfg.Profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// profileDoc is one profile as `tok profiles --json` prints it.
type profileDoc struct {
	Name         string              `json:"name"`
	Targets      []string            `json:"targets"`
	Scopes       map[string][]string `json:"scopes"`
	RevokeOnExit bool                `json:"revoke_on_exit"`
	Env          []string            `json:"env,omitempty"`
}

func newProfilesCmd(a *App) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "profiles [--json]",
		Short: "List the exec profiles of the config file: targets, narrowed scopes, revoke on exit",
		Long: `A profile names what one kind of command gets from tok exec --profile NAME:
its targets, narrowed scopes per target and whether its tokens are revoked
when it exits. The profile named default is what tok exec -- COMMAND uses.

    profiles:
      default:
        targets: [github]
      coder:
        targets: [github:work, https://mcp.example.com/mcp]
        scopes:
          github:work: [repo]
        revoke_on_exit: true`,
		Example: `  tok profiles
  tok profiles --json | jq -r '.[].name'
  tok exec --profile coder -- my-agent`,
		Args: usageArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runProfiles(cmd.Context(), a, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON for scripts")
	return cmd
}

func runProfiles(_ context.Context, a *App, asJSON bool) error {
	docs := []profileDoc{}
	for _, name := range profileNames(a.cfg) {
		p := a.cfg.Profiles[name]
		d := profileDoc{Name: name, Targets: p.Targets, Scopes: p.Scopes, RevokeOnExit: p.RevokeOnExit, Env: p.Env}
		if d.Scopes == nil {
			d.Scopes = map[string][]string{}
		}
		docs = append(docs, d)
	}
	if asJSON {
		return writeJSON(a.Stdout, docs)
	}
	if len(docs) == 0 {
		a.note("no profiles in the config file; see tok profiles --help")
		return nil
	}
	tw := tabwriter.NewWriter(a.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROFILE\tTARGETS\tSCOPES\tREVOKE ON EXIT")
	for _, d := range docs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", d.Name, strings.Join(d.Targets, " "), profileScopes(d), yesNo(d.RevokeOnExit))
	}
	return tw.Flush()
}

func profileScopes(d profileDoc) string {
	var parts []string
	for _, t := range d.Targets {
		for key, s := range d.Scopes {
			if sameTarget(t, key) {
				parts = append(parts, t+"="+strings.Join(s, ","))
			}
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}
