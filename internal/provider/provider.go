// Package provider turns a provider name into everything a flow needs:
// built-in presets merged with the config file and TOK_<P>_* variables,
// and endpoints, explicit or discovered.
package provider

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tok-cli/tok/internal/config"
	"github.com/tok-cli/tok/internal/tokerr"
	"github.com/tok-cli/tok/internal/wire"
)

// Provider is a resolved provider profile.
type Provider struct {
	config.Provider
	Preset     bool
	RegisterAt string
	Note       string
	// MCPServer is what tok remembers of the MCP server this provider
	// stands for, nil before its first login.
	MCPServer *MCPServer
}

// Lookup is how the environment is read (os.LookupEnv in production).
type Lookup func(string) (string, bool)

// Resolve merges preset, config file and environment for name. An unknown
// name is a usage error with a did-you-mean when one is close.
func Resolve(cfg *config.Config, name string, env Lookup) (*Provider, error) {
	return resolve(cfg, name, env, "")
}

// ResolveMCP is Resolve for the provider name an MCP server at serverURL
// is to get at its first login: known whatever the config says.
func ResolveMCP(cfg *config.Config, name, serverURL string, env Lookup) (*Provider, error) {
	return resolve(cfg, name, env, serverURL)
}

func resolve(cfg *config.Config, name string, env Lookup, serverURL string) (*Provider, error) {
	p := &Provider{}
	p.MCP = serverURL
	preset, isPreset := presets[name]
	if isPreset {
		p.Provider = clone(preset.Provider)
		p.Preset, p.RegisterAt, p.Note = true, preset.RegisterAt, preset.Note
	}
	saved, err := LoadMCPServer(cfg.StateDir, name)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, tokerr.New(tokerr.Usage, "provider %s: %v", name, err)
	}
	if saved != nil {
		p.mergeMCP(saved)
	}
	fromFile, inFile := cfg.Providers[name]
	if inFile {
		merge(&p.Provider, fromFile)
	}
	inEnv, err := mergeEnv(&p.Provider, name, env)
	if err != nil {
		return nil, err
	}
	if !isPreset && !inFile && !inEnv && saved == nil && serverURL == "" {
		return nil, unknown(cfg, name)
	}
	p.Name = name
	p.expandTenant()
	if p.Flow == "" {
		p.Flow = config.FlowAuto
	}
	if len(p.Env) == 0 {
		p.Env = []string{config.DefaultEnv(name)}
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// Names lists built-in and configured providers, sorted.
func Names(cfg *config.Config) []string {
	names := Presets()
	for n := range cfg.Providers {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	for _, s := range MCPServers(cfg.StateDir) {
		if !slices.Contains(names, s.Name) {
			names = append(names, s.Name)
		}
	}
	sort.Strings(names)
	return names
}

// RequireClientID fails with where to register when no client id is set.
func (p *Provider) RequireClientID() error {
	if p.ClientID != "" {
		return nil
	}
	where := "register an OAuth client with the provider"
	if p.RegisterAt != "" {
		where = "register one at " + p.RegisterAt
	}
	return tokerr.New(tokerr.Usage, "provider %s has no client id: %s", p.Name, where).
		WithHint("set %s in the config file, or %s", config.KeyPath(p.Name, "client_id"), config.EnvVar(p.Name, "CLIENT_ID"))
}

func (p *Provider) validate() error {
	switch p.Flow {
	case config.FlowAuto, config.FlowBrowser, config.FlowDevice, config.FlowClientCredentials:
	default:
		return tokerr.New(tokerr.Usage, "provider %s: unknown flow %q (want auto, browser, device or client_credentials)", p.Name, p.Flow)
	}
	if p.Issuer == "" && p.TokenURL == "" && p.MCP == "" {
		return tokerr.New(tokerr.Usage, "provider %s has no endpoints: set issuer, or auth_url and token_url", p.Name)
	}
	for k := range p.TokenParams {
		if slices.ContainsFunc(wire.ReservedTokenParams, func(r string) bool { return strings.EqualFold(r, k) }) {
			return tokerr.New(tokerr.Usage, "provider %s: token_params may not set %s: tok sets it itself", p.Name, k)
		}
	}
	if p.DefaultTTL != 0 && p.DefaultTTL < time.Second {
		return tokerr.New(tokerr.Usage, "provider %s: default_ttl %s is not a lifetime like 1h (give a unit)", p.Name, p.DefaultTTL)
	}
	switch p.KubeToken {
	case "", config.KubeAccessToken, config.KubeIDToken:
	default:
		return tokerr.New(tokerr.Usage, "provider %s: unknown kube_token %q (want access_token or id_token)", p.Name, p.KubeToken)
	}
	if p.RedirectPort < 0 || p.RedirectPort > 65535 {
		return tokerr.New(tokerr.Usage, "provider %s: redirect_port %d is not a port", p.Name, p.RedirectPort)
	}
	return nil
}

func (p *Provider) expandTenant() {
	if p.Tenant == "" {
		return
	}
	for _, u := range []*string{&p.AuthURL, &p.TokenURL, &p.DeviceAuthURL, &p.RevocationURL, &p.Issuer, &p.UserinfoURL} {
		*u = strings.ReplaceAll(*u, "{tenant}", p.Tenant)
	}
}

// UnknownError is a provider name that no preset, config file entry,
// TOK_<P>_* variable or remembered MCP server defines. Resolve returns it
// inside a usage error.
type UnknownError struct{ Name string }

func (e *UnknownError) Error() string { return fmt.Sprintf("unknown provider %q", e.Name) }

func unknown(cfg *config.Config, name string) error {
	e := &tokerr.Error{Code: tokerr.Usage, Err: &UnknownError{Name: name}}
	if s := Closest(name, Names(cfg)); s != "" {
		return e.WithHint("did you mean %s?", s)
	}
	return e.WithHint("run: tok providers")
}

// merge copies the set fields of src over dst.
func merge(dst *config.Provider, src config.Provider) {
	for _, f := range []struct{ d, s *string }{
		{&dst.Issuer, &src.Issuer}, {&dst.AuthURL, &src.AuthURL}, {&dst.TokenURL, &src.TokenURL},
		{&dst.DeviceAuthURL, &src.DeviceAuthURL}, {&dst.RevocationURL, &src.RevocationURL},
		{&dst.ClientID, &src.ClientID}, {&dst.ClientSecret, &src.ClientSecret}, {&dst.Flow, &src.Flow},
		{&dst.Tenant, &src.Tenant}, {&dst.MCP, &src.MCP}, {&dst.Resource, &src.Resource},
		{&dst.TokenAuthMethod, &src.TokenAuthMethod}, {&dst.UserinfoURL, &src.UserinfoURL},
		{&dst.GitUsername, &src.GitUsername}, {&dst.KubeToken, &src.KubeToken},
	} {
		if *f.s != "" {
			*f.d = *f.s
		}
	}
	if src.Scopes != nil {
		dst.Scopes = slices.Clone(src.Scopes)
	}
	if src.Env != nil {
		dst.Env = slices.Clone(src.Env)
	}
	if src.Hosts != nil {
		dst.Hosts = slices.Clone(src.Hosts)
	}
	if src.RedirectPort != 0 {
		dst.RedirectPort = src.RedirectPort
	}
	if src.DefaultTTL != 0 {
		dst.DefaultTTL = src.DefaultTTL
	}
	dst.TokenExchange = dst.TokenExchange || src.TokenExchange
	dst.RevokeEndsGrant = dst.RevokeEndsGrant || src.RevokeEndsGrant
	for k, v := range src.AuthParams {
		if dst.AuthParams == nil {
			dst.AuthParams = map[string]string{}
		}
		dst.AuthParams[k] = v
	}
	dst.AuthParams = mergeParams(dst.AuthParams, src.AuthParams)
	dst.TokenParams = mergeParams(dst.TokenParams, src.TokenParams)
}

// mergeParams returns dst with src's parameters added over its own.
func mergeParams(dst, src map[string]string) map[string]string {
	for k, v := range src {
		if dst == nil {
			dst = map[string]string{}
		}
		dst[k] = v
	}
	return dst
}

// mergeEnv applies TOK_<P>_* variables, which win over the file. It
// reports whether any was set, so that a provider can be defined by the
// environment alone (CI jobs without a config file).
func mergeEnv(dst *config.Provider, name string, env Lookup) (bool, error) {
	prefix := "TOK_" + config.EnvName(name) + "_"
	var src config.Provider
	for key, field := range map[string]*string{
		"ISSUER": &src.Issuer, "AUTH_URL": &src.AuthURL, "TOKEN_URL": &src.TokenURL,
		"DEVICE_AUTH_URL": &src.DeviceAuthURL, "REVOCATION_URL": &src.RevocationURL,
		"CLIENT_ID": &src.ClientID, "CLIENT_SECRET": &src.ClientSecret, "FLOW": &src.Flow,
		"USERINFO_URL": &src.UserinfoURL,
	} {
		if v, ok := env(prefix + key); ok && v != "" {
			*field = v
		}
	}
	if v, ok := env(prefix + "SCOPES"); ok && v != "" {
		src.Scopes = strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' })
	}
	if v, ok := env(prefix + "TOKEN_PARAMS"); ok && v != "" {
		params, err := ParseTokenParams(v)
		if err != nil {
			return false, tokerr.New(tokerr.Usage, "%sTOKEN_PARAMS: %v", prefix, err).
				WithHint("write it as k=v&k2=v2, values %%-escaped")
		}
		src.TokenParams = params
	}
	if v, ok := env(prefix + "DEFAULT_TTL"); ok && v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return false, tokerr.New(tokerr.Usage, "%sDEFAULT_TTL %q is not a duration like 1h", prefix, v)
		}
		src.DefaultTTL = d
	}
	merge(dst, src)
	// Only endpoint variables define a provider; a client id alone merely
	// completes one.
	return src.Issuer != "" || src.TokenURL != "", nil
}

// ParseTokenParams reads TOK_<P>_TOKEN_PARAMS: URL query form,
// k=v&k2=v2, values %-escaped. A key may appear once and may not be empty.
func ParseTokenParams(s string) (map[string]string, error) {
	for _, part := range strings.Split(s, "&") {
		if !strings.Contains(part, "=") {
			return nil, fmt.Errorf("%q is not k=v", wire.Clean(part, 40))
		}
	}
	q, err := url.ParseQuery(s)
	if err != nil {
		return nil, errors.New("not k=v&k2=v2 (a value holds a bad %-escape or a ';')")
	}
	out := make(map[string]string, len(q))
	for k, vs := range q {
		switch {
		case k == "" || strings.TrimSpace(k) != k:
			return nil, fmt.Errorf("parameter name %q is empty or has spaces", wire.Clean(k, 40))
		case len(vs) > 1:
			return nil, fmt.Errorf("parameter %s is given %d times", wire.Clean(k, 40), len(vs))
		}
		out[k] = vs[0]
	}
	return out, nil
}

func clone(p config.Provider) config.Provider {
	p.Scopes = slices.Clone(p.Scopes)
	p.Env = slices.Clone(p.Env)
	p.Hosts = slices.Clone(p.Hosts)
	p.AuthParams = maps.Clone(p.AuthParams)
	p.TokenParams = maps.Clone(p.TokenParams)
	return p
}

// String is for messages.
func (p *Provider) String() string { return fmt.Sprintf("provider %s", p.Name) }

// EnvNames lists the providers defined by the environment alone
// (TOK_<P>_ISSUER or TOK_<P>_TOKEN_URL), lower-cased, for listings.
func EnvNames(environ []string) []string {
	var names []string
	for _, kv := range environ {
		key, val, _ := strings.Cut(kv, "=")
		if val == "" || !strings.HasPrefix(key, "TOK_") {
			continue
		}
		for _, suffix := range []string{"_ISSUER", "_TOKEN_URL"} {
			if p, ok := strings.CutSuffix(strings.TrimPrefix(key, "TOK_"), suffix); ok && p != "" {
				if n := strings.ToLower(p); !slices.Contains(names, n) {
					names = append(names, n)
				}
			}
		}
	}
	sort.Strings(names)
	return names
}

// ValidName reports whether s can be a provider or account name: 1 to 128
// letters, digits, '.', '_' and '-'. Names become parts of store keys and
// (escaped or hashed) file names, so they hold no separator.
func ValidName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, r := range s {
		ok := r == '-' || r == '_' || r == '.' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
		if !ok {
			return false
		}
	}
	return true
}
