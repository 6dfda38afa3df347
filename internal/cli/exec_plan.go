package cli

import (
	"context"
	"slices"
	"strings"

	"github.com/tok-cli/tok/internal/config"
	"github.com/tok-cli/tok/internal/target"
	"github.com/tok-cli/tok/internal/tokerr"
)

// planExec fills in what the command line leaves to the config (README
// "Exec without targets, and profiles"): --profile's targets, scopes and
// revoke_on_exit; with no target at all, the `default` profile, else the
// one stored login.
func (a *App) planExec(ctx context.Context, opts *execOptions) error {
	switch {
	case opts.Profile != "":
		p, err := a.profile(opts.Profile)
		if err != nil {
			return err
		}
		a.applyProfile(opts, p)
	case len(opts.Targets) > 0 || len(opts.Env) > 0:
	case a.cfg.Profiles["default"].Targets != nil:
		a.applyProfile(opts, a.cfg.Profiles["default"])
	default:
		arg, err := a.onlyLogin(ctx)
		if err != nil {
			return err
		}
		a.note("no target given: using %s, the one stored login", arg)
		opts.Targets = []string{arg}
	}
	return nil
}

func (a *App) applyProfile(opts *execOptions, p config.Profile) {
	for _, t := range p.Targets {
		if !slices.ContainsFunc(opts.Targets, func(o string) bool { return sameTarget(o, t) }) {
			opts.Targets = append(opts.Targets, t)
		}
	}
	for t, scopes := range p.Scopes {
		for _, s := range scopes {
			opts.profileScopes = append(opts.profileScopes, t+"="+s)
		}
	}
	opts.RevokeOnExit = opts.RevokeOnExit || p.RevokeOnExit
	// The command line's --env come last, so they win over the profile's.
	opts.Env = append(slices.Clone(p.Env), opts.Env...)
}

// onlyLogin is the target of the one stored login, or a usage error that
// lists the stored logins and the config lines of a default profile.
func (a *App) onlyLogin(ctx context.Context) (string, error) {
	entries, err := a.resolver().Stored(ctx)
	if err != nil {
		return "", err
	}
	// A login whose provider left the config is no candidate: exec could
	// not use it (README "Exec without targets").
	var names, unconfigured []string
	for _, e := range entries {
		name := target.EntryTarget(e).String()
		if _, err := a.resolver().Provider(e.Provider); isUnknownProvider(err) {
			unconfigured = append(unconfigured, name)
			continue
		}
		names = append(names, name)
	}
	switch {
	case len(names) == 1:
		return names[0], nil
	case len(names) == 0 && len(unconfigured) > 0:
		return "", tokerr.New(tokerr.Usage, "exec needs a TARGET: no login of a configured provider is stored (the provider of %s is not configured) and the config has no default profile", strings.Join(unconfigured, ", ")).
			WithHint("run tok login PROVIDER first")
	case len(names) == 0:
		return "", tokerr.New(tokerr.Usage, "exec needs a TARGET: no login is stored and the config has no default profile").
			WithHint("run tok login PROVIDER first")
	}
	file := a.cfg.File
	if file == "" {
		file, _ = a.configFile()
	}
	return "", tokerr.New(tokerr.Usage, "exec needs a TARGET: %d logins are stored (%s) and the config has no default profile", len(names), strings.Join(names, ", ")).
		WithHint("name one (tok exec %s -- COMMAND), or add to %s: profiles: {default: {targets: [%s]}}", names[0], file, names[0])
}

// assignScopes gives each target the scopes --scope [TARGET=]S and the
// profile narrow it to. TARGET may be left out when there is one target.
func assignScopes(targets []*execTarget, opts *execOptions) error {
	args := append(slices.Clone(opts.profileScopes), opts.Scopes...)
	for _, arg := range args {
		name, scope, hasTarget := strings.Cut(arg, "=")
		if !hasTarget {
			name, scope = "", arg
		}
		if strings.TrimSpace(scope) == "" {
			return tokerr.New(tokerr.Usage, "--scope %q names no scope", arg)
		}
		et, err := scopeTarget(targets, name, arg)
		if err != nil {
			return err
		}
		for _, s := range strings.Fields(scope) {
			if !slices.Contains(et.Scopes, s) {
				et.Scopes = append(et.Scopes, s)
			}
		}
	}
	return nil
}

func scopeTarget(targets []*execTarget, name, arg string) (*execTarget, error) {
	if name == "" {
		if len(targets) != 1 {
			return nil, tokerr.New(tokerr.Usage, "--scope %q: exec has %d targets, say which: --scope TARGET=SCOPE", arg, len(targets))
		}
		return targets[0], nil
	}
	for _, et := range targets {
		if sameTarget(et.Arg, name) || target.Canonical(name) == target.Canonical(et.T.String()) {
			return et, nil
		}
	}
	return nil, tokerr.New(tokerr.Usage, "--scope %q: %s is not a target of this exec", arg, name)
}
