// Package target decides which login an argument names and which provider
// serves it. A target is written PROVIDER, PROVIDER:ACCOUNT, the provider
// name tok gave an MCP server, or an MCP server URL (README "Commands").
// Resolver is the one place that turns such an argument into a Target and
// its provider; commands make one call to it.
package target

import (
	"fmt"
	"strings"

	"github.com/tok-cli/tok/internal/mcp"
	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/tokerr"
)

// DefaultAccount is the account used when a target names none.
const DefaultAccount = "default"

// Target names one login: PROVIDER, PROVIDER:ACCOUNT, or an MCP server URL.
type Target struct {
	Provider string
	Account  string
	// URL is set when the target was written as an MCP server URL, as
	// written (not canonical).
	URL string
}

// Parse reads a target as written on the command line, without looking
// anything up. A URL is any argument starting with https:// or http://;
// names are checked with provider.ValidName. Errors are usage errors.
func Parse(s string) (Target, error) {
	if isURL(s) {
		return Target{URL: s, Account: DefaultAccount}, nil
	}
	prov, acct, found := strings.Cut(s, ":")
	if found && acct == "" {
		return Target{}, tokerr.New(tokerr.Usage, "target %q has an empty account: write PROVIDER or PROVIDER:ACCOUNT", s)
	}
	if !found {
		acct = DefaultAccount
	}
	if !provider.ValidName(prov) || !provider.ValidName(acct) {
		return Target{}, tokerr.New(tokerr.Usage, "target %q is not PROVIDER[:ACCOUNT] (letters, digits, '.', '_', '-')", s)
	}
	return Target{Provider: prov, Account: acct}, nil
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
}

// String is the target as a user writes it.
func (t Target) String() string {
	name := t.Provider
	if name == "" {
		name = t.URL
	}
	if t.Account == DefaultAccount || t.Account == "" {
		return name
	}
	if t.URL != "" && t.Provider == "" {
		return name
	}
	return fmt.Sprintf("%s:%s", name, t.Account)
}

// Key identifies the login in the store and the lock directory:
// PROVIDER:ACCOUNT. It is only meaningful once the provider is resolved.
func (t Target) Key() string { return t.Provider + ":" + t.Account }

// Canonical is the form in which two ways of writing one target compare
// equal without looking anything up: PROVIDER and PROVIDER:default are
// PROVIDER:default; a URL is its canonical server URL (mcp.Canonical:
// case of scheme and host, final slash, query and fragment do not count).
// An argument that is no target is returned as it is.
func Canonical(arg string) string {
	t, err := Parse(arg)
	switch {
	case err != nil:
		return arg
	case t.URL != "":
		if u, err := mcp.Canonical(t.URL); err == nil {
			return u
		}
		return arg
	default:
		return t.Key()
	}
}
