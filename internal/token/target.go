// Package token keeps stored logins fresh: it reads a login, decides
// whether it needs refreshing, refreshes it under a per-target lock that
// other tok processes respect, and writes the result back.
package token

import (
	"fmt"
	"strings"

	"github.com/tok-cli/tok/internal/tokerr"
)

// DefaultAccount is the account used when a target names none.
const DefaultAccount = "default"

// Target names one login: PROVIDER, PROVIDER:ACCOUNT, or an MCP server URL.
type Target struct {
	Provider string
	Account  string
	// URL is set when the target was written as an MCP server URL.
	URL string
}

// ParseTarget reads a target as written on the command line.
func ParseTarget(s string) (Target, error) {
	if strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://") {
		return Target{URL: s, Account: DefaultAccount}, nil
	}
	prov, acct, found := strings.Cut(s, ":")
	if found && acct == "" {
		return Target{}, tokerr.New(tokerr.Usage, "target %q has an empty account: write PROVIDER or PROVIDER:ACCOUNT", s)
	}
	if !found {
		acct = DefaultAccount
	}
	if !validName(prov) || !validName(acct) {
		return Target{}, tokerr.New(tokerr.Usage, "target %q is not PROVIDER[:ACCOUNT] (letters, digits, '.', '_', '-')", s)
	}
	return Target{Provider: prov, Account: acct}, nil
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

// Key identifies the login in the store and the lock directory.
func (t Target) Key() string { return t.Provider + ":" + t.Account }

func validName(s string) bool {
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
