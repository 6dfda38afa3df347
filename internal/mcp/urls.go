package mcp

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/tok-cli/tok/internal/provider"
)

const (
	prmWellKnown   = "/.well-known/oauth-protected-resource"
	oauthWellKnown = "/.well-known/oauth-authorization-server"
	oidcWellKnown  = "/.well-known/openid-configuration"
)

// Canonical returns the canonical form of an MCP server URL (MCP
// authorization, "Canonical Server URI"; RFC 8707 §2): lower-case scheme
// and host, no fragment, no query, no trailing slash. It refuses URLs
// that would carry tokens in clear text off this machine.
func Canonical(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("%q is not an http(s) URL", raw)
	}
	if u.User != nil {
		return "", fmt.Errorf("MCP server URL %s carries credentials: leave them out", u.Redacted())
	}
	if err := provider.SecureURL(u.String()); err != nil {
		return "", fmt.Errorf("MCP server %s is not https: tok only sends tokens over https, or http on loopback", u.Redacted())
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	u.Fragment, u.RawFragment = "", ""
	u.RawQuery, u.ForceQuery = "", false
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u.String(), nil
}

// PRMURLs lists where the protected resource metadata of serverURL may be
// when the server did not name it in a challenge (RFC 9728 §3.1, MCP
// "Protected Resource Metadata Discovery"): the well-known segment
// inserted before the server's path, then at the root.
func PRMURLs(serverURL string) []string {
	u, err := url.Parse(serverURL)
	if err != nil {
		return nil
	}
	base := u.Scheme + "://" + u.Host
	path := strings.TrimRight(u.EscapedPath(), "/")
	if path == "" {
		return []string{base + prmWellKnown}
	}
	return []string{base + prmWellKnown + path, base + prmWellKnown}
}

// ASMetadataURLs lists where the metadata of an authorization server may
// be, in the order of the MCP authorization specification
// ("Authorization Server Metadata Discovery"). For an issuer with a path:
// RFC 8414 with the path inserted, OpenID Connect with the path inserted,
// OpenID Connect with the path appended. Without a path: RFC 8414, then
// OpenID Connect.
func ASMetadataURLs(issuer string) ([]string, error) {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("authorization server %q is not an http(s) URL", issuer)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("authorization server %q has a query or fragment: not an issuer (RFC 8414 §2)", issuer)
	}
	base := u.Scheme + "://" + u.Host
	path := strings.TrimRight(u.EscapedPath(), "/")
	if path == "" {
		return []string{base + oauthWellKnown, base + oidcWellKnown}, nil
	}
	return []string{base + oauthWellKnown + path, base + oidcWellKnown + path, base + path + oidcWellKnown}, nil
}

// resourceAccepted reports whether the resource named in a protected
// resource metadata document fetched from prmURL may stand for serverURL.
// RFC 9728 §3.3: it must be identical to the server URL, or, for a document
// found at a well-known location, to the resource identifier that location
// was built from (the root form names the origin), provided the server URL
// lies under that identifier.
func resourceAccepted(resource, serverURL, prmURL string) bool {
	res, err := Canonical(resource)
	if err != nil {
		return false
	}
	if res == serverURL {
		return true
	}
	id, ok := identifierOf(prmURL)
	if !ok || res != id {
		return false
	}
	return serverURL == id || strings.HasPrefix(serverURL, id+"/")
}

// identifierOf inverts PRMURLs: the resource identifier whose well-known
// metadata location prmURL is.
func identifierOf(prmURL string) (string, bool) {
	u, err := url.Parse(prmURL)
	if err != nil || !strings.HasPrefix(u.EscapedPath(), prmWellKnown) {
		return "", false
	}
	rest := strings.TrimPrefix(u.EscapedPath(), prmWellKnown)
	if rest != "" && !strings.HasPrefix(rest, "/") {
		return "", false
	}
	id, err := Canonical(u.Scheme + "://" + u.Host + rest)
	return id, err == nil
}
