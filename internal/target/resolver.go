package target

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/tok-cli/tok/internal/config"
	"github.com/tok-cli/tok/internal/mcp"
	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/tokerr"
)

// Resolver turns arguments into targets and their providers. The zero
// Environ lists no environment-only providers.
type Resolver struct {
	Config *config.Config
	// Env reads one variable (os.LookupEnv in production).
	Env provider.Lookup
	// Environ lists the environment, for providers defined by TOK_<P>_*
	// variables alone (os.Environ in production).
	Environ func() []string
	// Logins, when set, lists the stored logins (a fleet store keeps its
	// index next to the records); nil reads the state dir's index.
	Logins func(context.Context) ([]store.Entry, error)
	// ConfigFile is the config file's path, read or not, for messages;
	// "" when there is none to name.
	ConfigFile string
}

// Resolve parses arg and finds its provider. An MCP server URL resolves
// to the provider that stands for it: one configured with that mcp: URL,
// else one remembered from an earlier login; the returned Target keeps
// the URL and gets the provider's name. Errors: a usage error for a
// malformed or unknown target (with a did-you-mean where one is close),
// a usage error holding an *UnconfiguredError for a provider that left
// the config file while logins of it are stored, a login-needed error
// for a server tok never logged in to.
func (r *Resolver) Resolve(ctx context.Context, arg string) (Target, *provider.Provider, error) {
	t, err := Parse(arg)
	if err != nil {
		return t, nil, err
	}
	if t.URL == "" {
		p, err := r.Provider(t.Provider)
		if err != nil {
			return t, nil, r.unconfigured(ctx, t, err)
		}
		return t, p, nil
	}
	canon, err := canonicalURL(t.URL)
	if err != nil {
		return t, nil, err
	}
	name := r.mcpProvider(canon)
	if name == "" {
		return t, nil, tokerr.LoginNeededFor(t.URL, errors.New("tok has not logged in to this MCP server yet"))
	}
	t.Provider = name
	p, err := r.Provider(name)
	return t, p, err
}

// ResolveForLogin is Resolve for `tok login ARG [--name NAME]`: an MCP
// server URL tok does not know yet resolves to a new provider, named
// name or, when name is "", after the server's host (provider.MCPName).
// name is only allowed with a URL, and must not rename a known server or
// take another provider's name. The returned Target's URL is set exactly
// when arg is a URL.
func (r *Resolver) ResolveForLogin(ctx context.Context, arg, name string) (Target, *provider.Provider, error) {
	t, err := Parse(arg)
	if err != nil {
		return t, nil, err
	}
	if t.URL == "" && name == "" {
		return r.Resolve(ctx, arg)
	}
	if t.URL == "" {
		return t, nil, tokerr.New(tokerr.Usage, "--name names an MCP server given by URL, not %s", arg).
			WithHint("usage: tok login https://HOST/PATH --name NAME")
	}
	canon, err := canonicalURL(t.URL)
	if err != nil {
		return t, nil, err
	}
	name, err = r.newMCPName(t, canon, name)
	if err != nil {
		return t, nil, err
	}
	p, err := provider.ResolveMCP(r.Config, name, canon, r.Env)
	if err != nil {
		return t, nil, err
	}
	t.Provider = name
	return t, p, nil
}

// newMCPName is the provider name for the server at canon: the one that
// already stands for it, else name, else one made from its host.
func (r *Resolver) newMCPName(t Target, canon, name string) (string, error) {
	known := r.mcpProvider(canon)
	switch {
	case name == "" && known != "":
		return known, nil
	case name == "":
		name = provider.MCPName(canon)
	case known != "" && known != name:
		return "", tokerr.New(tokerr.Usage, "%s is already known as provider %s", canon, known).
			WithHint("run: tok login %s", known)
	}
	if !provider.ValidName(name) {
		return "", tokerr.New(tokerr.Usage, "--name %q is not a provider name (letters, digits, '.', '_', '-')", name)
	}
	if known == "" {
		if other, err := r.Provider(name); err == nil {
			if u, _ := mcp.Canonical(other.MCP); u != canon {
				return "", tokerr.New(tokerr.Usage, "provider name %s is taken by another provider", name).
					WithHint("choose another with: tok login %s --name NAME", t.URL)
			}
		}
	}
	return name, nil
}

// Provider resolves a provider by name: preset, config file, TOK_<P>_*
// variables and what tok remembers of an MCP server (provider.Resolve).
func (r *Resolver) Provider(name string) (*provider.Provider, error) {
	return provider.Resolve(r.Config, name, r.Env)
}

// UnconfiguredError is a target whose provider tok does not know, while
// logins of that provider are stored: the provider left the config file.
// Such a login can only be forgotten (tok logout TARGET --no-revoke),
// which needs no provider.
type UnconfiguredError struct {
	Target     Target
	Stored     []Target // the provider's stored logins
	ConfigFile string   // "" when there is none to name
}

func (e *UnconfiguredError) Error() string {
	where := ""
	if e.ConfigFile != "" {
		where = " in " + e.ConfigFile
	}
	held := "a login"
	if len(e.Stored) > 1 {
		held = "logins"
	}
	names := make([]string, len(e.Stored))
	for i, s := range e.Stored {
		names[i] = s.String()
	}
	return fmt.Sprintf("provider %s is not configured%s, but tok holds %s for it (%s)", e.Target.Provider, where, held, strings.Join(names, ", "))
}

// unconfigured turns an unknown provider error for t into an
// *UnconfiguredError when logins of that provider are stored; other
// errors pass as they are.
func (r *Resolver) unconfigured(ctx context.Context, t Target, err error) error {
	var unknown *provider.UnknownError
	if !errors.As(err, &unknown) {
		return err
	}
	entries, lerr := r.Stored(ctx)
	if lerr != nil {
		return err
	}
	e := &UnconfiguredError{Target: t, ConfigFile: r.ConfigFile}
	forget := Target{}
	for _, s := range entries {
		if s.Provider != t.Provider {
			continue
		}
		st := EntryTarget(s)
		e.Stored = append(e.Stored, st)
		if forget.Provider == "" || st == t {
			forget = st
		}
	}
	if len(e.Stored) == 0 {
		return err
	}
	return (&tokerr.Error{Code: tokerr.Usage, Err: e}).
		WithHint("add providers.%s back to the config file (or set %s), or forget the login: tok logout %s --no-revoke",
			t.Provider, config.EnvVar(t.Provider, "ISSUER"), forget)
}

// canonicalURL is mcp.Canonical with a usage error.
func canonicalURL(raw string) (string, error) {
	canon, err := mcp.Canonical(raw)
	if err != nil {
		return "", tokerr.Wrap(tokerr.Usage, err, "target %s", raw)
	}
	return canon, nil
}

// mcpProvider returns the provider that stands for the MCP server at
// canon (a canonical URL): one configured with mcp: URL (the first by
// name), else one remembered from an earlier login; "" when there is none.
func (r *Resolver) mcpProvider(canon string) string {
	names := make([]string, 0, len(r.Config.Providers))
	for name := range r.Config.Providers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if u, err := mcp.Canonical(r.Config.Providers[name].MCP); err == nil && u == canon {
			return name
		}
	}
	for _, s := range provider.MCPServers(r.Config.StateDir) {
		if s.URL == canon {
			return s.Name
		}
	}
	return ""
}
