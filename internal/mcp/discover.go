package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/wire"
)

// ResourceMetadata is the part of an RFC 9728 §2 protected resource
// metadata document that tok uses.
type ResourceMetadata struct {
	Resource             string   `json:"resource"`
	AuthorizationServers []string `json:"authorization_servers"`
	ScopesSupported      []string `json:"scopes_supported"`
}

// Discovery is what tok learnt about an MCP server before logging in.
type Discovery struct {
	// ServerURL is the canonical server URL.
	ServerURL string
	// Resource is the protected resource's identifier, canonical: the
	// RFC 8707 resource parameter.
	Resource string
	// ChallengeScopes is the scope of the server's 401 challenge, if any.
	ChallengeScopes []string
	// PRM is the protected resource metadata and PRMURL where it was.
	PRM    ResourceMetadata
	PRMURL string
	// Metadata is the authorization server's, its issuer checked.
	Metadata *provider.Metadata
}

// Discover finds the authorization server of the MCP server at serverURL
// (MCP authorization, "Authorization Server Discovery"): an
// unauthenticated request, whose 401 challenge may name the protected
// resource metadata; else the well-known locations; then the metadata of
// the first authorization server listed.
func Discover(ctx context.Context, hc *http.Client, serverURL string) (*Discovery, error) {
	canon, err := Canonical(serverURL)
	if err != nil {
		return nil, err
	}
	d := &Discovery{ServerURL: canon}
	ch, err := probe(ctx, hc, serverURL)
	if err != nil {
		return nil, err
	}
	urls := PRMURLs(canon)
	if ch != nil {
		d.ChallengeScopes = strings.Fields(ch.Params["scope"])
		if rm := ch.Params["resource_metadata"]; rm != "" {
			if err := provider.SecureURL(rm); err != nil {
				return nil, fmt.Errorf("%s names its resource metadata at %s: %w", canon, rm, err)
			}
			urls = append([]string{rm}, urls...)
		}
	}
	if err := d.fetchPRM(ctx, hc, urls); err != nil {
		return nil, err
	}
	issuer := d.PRM.AuthorizationServers[0]
	murls, err := ASMetadataURLs(issuer)
	if err != nil {
		return nil, err
	}
	md, err := provider.Fetch(ctx, hc, issuer, murls)
	if err != nil {
		return nil, err
	}
	if err := checkAS(md); err != nil {
		return nil, err
	}
	d.Metadata = md
	return d, nil
}

// checkAS refuses an authorization server tok cannot log in to safely.
func checkAS(md *provider.Metadata) error {
	if !slices.Contains(md.CodeChallengeMethods, "S256") {
		// MCP authorization, "Authorization Code Protection": a server that
		// does not advertise S256 may not verify PKCE at all.
		return fmt.Errorf("authorization server %s does not advertise PKCE with S256 (code_challenge_methods_supported): refusing to log in", md.Issuer)
	}
	if md.AuthURL == "" {
		return fmt.Errorf("authorization server %s has no authorization_endpoint", md.Issuer)
	}
	return nil
}

// probe sends an unauthenticated MCP initialize request and returns the
// Bearer challenge of a 401 or 403 answer, or nil when there is none.
func probe(ctx context.Context, hc *http.Client, serverURL string) (*Challenge, error) {
	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"tok","version":"1"}}}`
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, serverURL, strings.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("MCP server URL: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach MCP server %s: %w", wire.Redact(serverURL), wire.ScrubURLError(err))
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, wire.MaxDrain))
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusForbidden {
		return nil, nil
	}
	return Bearer(ParseChallenges(resp.Header.Values("WWW-Authenticate"))), nil
}

// fetchPRM reads the first protected resource metadata document found at
// urls and checks that it speaks for the server.
func (d *Discovery) fetchPRM(ctx context.Context, hc *http.Client, urls []string) error {
	var tried []string
	for _, u := range urls {
		if slices.Contains(tried, u) {
			continue
		}
		tried = append(tried, u)
		body, err := getJSON(ctx, hc, u)
		if errors.Is(err, provider.ErrNoDocument) {
			continue
		}
		if err != nil {
			return err
		}
		var prm ResourceMetadata
		if err := json.Unmarshal(body, &prm); err != nil {
			return fmt.Errorf("protected resource metadata at %s is malformed JSON", u)
		}
		if !resourceAccepted(prm.Resource, d.ServerURL, u) {
			return fmt.Errorf("protected resource metadata at %s is for resource %q, not %s: refusing it (RFC 9728 §3.3)", u, wire.Clean(prm.Resource, 100), d.ServerURL)
		}
		if len(prm.AuthorizationServers) == 0 {
			return fmt.Errorf("protected resource metadata at %s names no authorization_servers", u)
		}
		d.Resource, _ = Canonical(prm.Resource)
		d.PRM, d.PRMURL = prm, u
		return nil
	}
	return fmt.Errorf("%s has no protected resource metadata (tried %s): it may not support MCP authorization", d.ServerURL, strings.Join(tried, ", "))
}

// getJSON fetches a JSON document; an HTML page (a login wall, an error
// page) counts as no document, so the next well-known URL is tried.
func getJSON(ctx context.Context, hc *http.Client, u string) ([]byte, error) {
	body, ctype, err := provider.GetDocument(ctx, hc, u)
	if errors.Is(err, provider.ErrNoDocument) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", wire.Redact(u), wire.ScrubURLError(err))
	}
	if mt, _, _ := mime.ParseMediaType(ctype); mt == "text/html" {
		return nil, provider.ErrNoDocument
	}
	return body, nil
}

// Scopes picks the scopes to ask for (MCP authorization, "Scope Selection
// Strategy"): the challenge's scope, else the resource's scopes_supported,
// else none; offline_access is added when the authorization server lists
// it, and dropped when it does not (SEP-2207).
func (d *Discovery) Scopes() []string {
	base := d.ChallengeScopes
	if len(base) == 0 {
		base = d.PRM.ScopesSupported
	}
	offline := slices.Contains(d.Metadata.ScopesSupported, "offline_access")
	var out []string
	for _, s := range base {
		if (s != "offline_access" || offline) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if offline && !slices.Contains(out, "offline_access") {
		out = append(out, "offline_access")
	}
	return out
}
