// Package config holds tok's typed configuration. It is filled once at the
// edge (internal/cli, with viper) and passed down; nothing here reads files
// or the environment by itself.
package config

import (
	"strings"
	"time"
)

// Flow names accepted in `flow:`.
const (
	FlowAuto              = "auto"
	FlowBrowser           = "browser"
	FlowDevice            = "device"
	FlowClientCredentials = "client_credentials"
)

// Config is the whole configuration after file, environment and flags have
// been merged.
type Config struct {
	// File is the config file that was read, "" when there was none.
	File string
	// StateDir holds locks, the login index, discovery cache and the file
	// store.
	StateDir string
	// Store is "keyring", "file" or "etcd".
	Store string
	// Etcd is the cluster of store: etcd.
	Etcd Etcd
	// FilePlaintext allows the file store to write without a passphrase.
	FilePlaintext bool
	// Passphrase for the file store; empty when not given.
	Passphrase string
	// FileKeyFile holds the age identity that seals the file store
	// (file_key_file:); TOK_FILE_KEY and TOK_FILE_KEY_FILE win over it.
	FileKeyFile string
	// MinTTL is the default --min-ttl.
	MinTTL time.Duration
	// ClientMetadataURL is a Client ID Metadata Document URL for MCP
	// servers that accept one.
	ClientMetadataURL string
	// Providers as written in the config file or the environment, before
	// presets are merged in. Keys are provider names.
	Providers map[string]Provider
	// Profiles by name, from `profiles:`.
	Profiles map[string]Profile
	// Verbose turns on the redacted HTTP trace on stderr.
	Verbose bool
}

// Etcd is the `etcd:` block: where a fleet's shared store lives (README
// "A store shared by a fleet"). Username and password come from the
// environment only.
type Etcd struct {
	Endpoints []string `mapstructure:"endpoints"`
	// Prefix starts every key tok writes.
	Prefix   string `mapstructure:"prefix"`
	CAFile   string `mapstructure:"ca_file"`
	CertFile string `mapstructure:"cert_file"`
	KeyFile  string `mapstructure:"key_file"`
}

// Provider is one authorization server profile. Every field is optional in
// the file; presets and the environment fill the rest.
type Provider struct {
	Name          string            `mapstructure:"-"`
	Issuer        string            `mapstructure:"issuer"`
	AuthURL       string            `mapstructure:"auth_url"`
	TokenURL      string            `mapstructure:"token_url"`
	DeviceAuthURL string            `mapstructure:"device_auth_url"`
	RevocationURL string            `mapstructure:"revocation_url"`
	ClientID      string            `mapstructure:"client_id"`
	ClientSecret  string            `mapstructure:"client_secret"`
	Scopes        []string          `mapstructure:"scopes"`
	Flow          string            `mapstructure:"flow"`
	RedirectPort  int               `mapstructure:"redirect_port"`
	Env           []string          `mapstructure:"env"`
	AuthParams    map[string]string `mapstructure:"auth_params"`
	// Tenant is used by presets whose endpoints contain a tenant
	// (microsoft).
	Tenant string `mapstructure:"tenant"`
	// MCP is the URL of an MCP server this provider stands for.
	MCP string `mapstructure:"mcp"`
	// Resource replaces the RFC 8707 resource parameter; "-" omits it.
	Resource string `mapstructure:"resource"`
	// TokenAuthMethod is how the client authenticates at the token
	// endpoint (RFC 7591 §2): client_secret_basic (the default with a
	// secret), client_secret_post, or none.
	TokenAuthMethod string `mapstructure:"token_endpoint_auth_method"`
	// UserinfoURL is where tok asks who logged in when the ID token does
	// not say: an OpenID Connect userinfo endpoint (default: the
	// discovered one) or a user API such as GitHub's /user.
	UserinfoURL string `mapstructure:"userinfo_url"`
	// Hosts are the hosts whose git credentials this provider answers
	// (`tok git-credential`), e.g. [github.com].
	Hosts []string `mapstructure:"hosts"`
	// GitUsername is the username `tok git-credential` gives with the
	// token; default x-access-token for github, oauth2 otherwise.
	GitUsername string `mapstructure:"git_username"`
	// KubeToken is the token a Kubernetes ExecCredential carries:
	// access_token (the default) or id_token.
	KubeToken string `mapstructure:"kube_token"`
	// TokenParams are added to every token request: code exchange,
	// refresh, client credentials and device polls (Auth0's audience).
	TokenParams map[string]string `mapstructure:"token_params"`
	// DefaultTTL is the lifetime assumed for a renewable token whose
	// response had no expires_in; 0 means DefaultTokenTTL.
	DefaultTTL time.Duration `mapstructure:"default_ttl"`
	// TokenExchange lets narrowed tokens come from RFC 8693 token
	// exchange when the provider's metadata lists the grant (README
	// "Narrowed tokens for agents").
	TokenExchange bool `mapstructure:"token_exchange"`
	// RevokeEndsGrant marks a provider where revoking an access token
	// revokes the whole grant (Google): exec --revoke-on-exit is refused.
	RevokeEndsGrant bool `mapstructure:"revoke_ends_grant"`
}

// Profile is one entry of `profiles:`: what `tok exec --profile NAME`
// hands a command (README "Profiles").
type Profile struct {
	// Targets as written on the command line.
	Targets []string `mapstructure:"targets"`
	// Scopes narrows the token of a target (key: one of Targets).
	Scopes map[string][]string `mapstructure:"scopes"`
	// RevokeOnExit is exec --revoke-on-exit for every run of the profile.
	RevokeOnExit bool `mapstructure:"revoke_on_exit"`
	// Env is exec --env NAME=TARGET for every run of the profile: a list,
	// not a map, so variable names keep their case.
	Env []string `mapstructure:"env"`
}

// Kube token kinds accepted in `kube_token:`.
const (
	KubeAccessToken = "access_token"
	KubeIDToken     = "id_token"
)

// DefaultTokenTTL is default_ttl when the config sets none (README,
// "Transient failures never withhold a valid token").
const DefaultTokenTTL = time.Hour

// EnvName returns the provider name as used in TOK_<P>_* variables:
// upper-cased, every non-alphanumeric replaced by '_'.
func EnvName(provider string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(provider) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteRune('_')
		}
	}
	return b.String()
}

// EnvVar is the variable that sets a provider's setting KEY (upper case,
// as in CLIENT_SECRET): TOK_<P>_KEY, P being EnvName(provider).
func EnvVar(provider, key string) string { return "TOK_" + EnvName(provider) + "_" + key }

// KeyPath is where a provider's setting key (as in client_secret) is
// written in the config file: providers.NAME.KEY.
func KeyPath(provider, key string) string { return "providers." + provider + "." + key }

// DefaultEnv is the variable `tok exec` sets for a provider with no `env`.
func DefaultEnv(provider string) string { return EnvName(provider) + "_TOKEN" }
