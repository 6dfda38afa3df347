package mcp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
)

// fakeMCP is an MCP server and its authorization server on one httptest
// server: what each serves is set per test. {{base}} in documents and
// headers becomes the server's URL.
type fakeMCP struct {
	t         *testing.T
	srv       *httptest.Server
	challenge string            // WWW-Authenticate of the 401; "" = initialize succeeds
	docs      map[string]string // path -> JSON document

	mu   sync.Mutex
	seen []string
}

func newFakeMCP(t *testing.T, challenge string, docs map[string]string) *fakeMCP {
	f := &fakeMCP{t: t, challenge: challenge, docs: docs}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeMCP) expand(s string) string { return strings.ReplaceAll(s, "{{base}}", f.srv.URL) }

func (f *fakeMCP) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.seen = append(f.seen, r.Method+" "+r.URL.Path)
	f.mu.Unlock()
	if r.URL.Path == "/mcp" || r.URL.Path == "/mcp/" {
		if r.Header.Get("Authorization") != "" {
			f.t.Errorf("discovery sent credentials to the MCP server")
		}
		if f.challenge == "" {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"jsonrpc":"2.0","id":1,"result":{}}`))
			return
		}
		w.Header().Set("WWW-Authenticate", f.expand(f.challenge))
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	doc, ok := f.docs[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(f.expand(doc)))
}

func (f *fakeMCP) requested(path string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Contains(f.seen, "GET "+path)
}

func asDoc(issuer string, extra map[string]any) string {
	m := map[string]any{
		"issuer":                           issuer,
		"authorization_endpoint":           issuer + "/authorize",
		"token_endpoint":                   issuer + "/token",
		"registration_endpoint":            issuer + "/register",
		"code_challenge_methods_supported": []string{"S256"},
	}
	for k, v := range extra {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func TestDiscoverFromChallenge(t *testing.T) {
	f := newFakeMCP(t, `Bearer error="invalid_token", resource_metadata="{{base}}/custom/prm.json", scope="files:read files:write"`, map[string]string{
		"/custom/prm.json": `{"resource":"{{base}}/mcp","authorization_servers":["{{base}}/tenant"],"scopes_supported":["other"]}`,
		"/.well-known/oauth-authorization-server/tenant": asDoc("{{base}}/tenant", map[string]any{"scopes_supported": []string{"files:read", "offline_access"}}),
	})
	d, err := Discover(context.Background(), f.srv.Client(), f.srv.URL+"/mcp/")
	if err != nil {
		t.Fatal(err)
	}
	if d.ServerURL != f.srv.URL+"/mcp" || d.Resource != f.srv.URL+"/mcp" || d.Metadata.Issuer != f.srv.URL+"/tenant" {
		t.Errorf("got server %q resource %q issuer %q", d.ServerURL, d.Resource, d.Metadata.Issuer)
	}
	if want := []string{"files:read", "files:write", "offline_access"}; !reflect.DeepEqual(d.Scopes(), want) {
		t.Errorf("Scopes() = %q, want %q: the challenge's, then offline_access", d.Scopes(), want)
	}
	for _, p := range []string{"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"} {
		if f.requested(p) {
			t.Errorf("asked %s although the challenge named the metadata", p)
		}
	}
}

func TestDiscoverWellKnownFallback(t *testing.T) {
	// No challenge at all; the resource's metadata only at the root, for
	// the origin; the authorization server only with OpenID discovery.
	f := newFakeMCP(t, "", map[string]string{
		"/.well-known/oauth-protected-resource": `{"resource":"{{base}}","authorization_servers":["{{base}}"],"scopes_supported":["mcp:basic","offline_access"]}`,
		"/.well-known/openid-configuration":     asDoc("{{base}}", nil),
	})
	d, err := Discover(context.Background(), f.srv.Client(), f.srv.URL+"/mcp")
	if err != nil {
		t.Fatal(err)
	}
	if !f.requested("/.well-known/oauth-protected-resource/mcp") || !f.requested("/.well-known/oauth-authorization-server") {
		t.Errorf("the path forms were not tried first: %q", f.seen)
	}
	if d.Resource != f.srv.URL {
		t.Errorf("resource %q, want the origin", d.Resource)
	}
	if want := []string{"mcp:basic"}; !reflect.DeepEqual(d.Scopes(), want) {
		t.Errorf("Scopes() = %q, want %q: offline_access only when the authorization server lists it", d.Scopes(), want)
	}
}

func TestDiscoverNoScopes(t *testing.T) {
	f := newFakeMCP(t, `Bearer resource_metadata="{{base}}/.well-known/oauth-protected-resource/mcp"`, map[string]string{
		"/.well-known/oauth-protected-resource/mcp": `{"resource":"{{base}}/mcp","authorization_servers":["{{base}}"]}`,
		"/.well-known/oauth-authorization-server":   asDoc("{{base}}", nil),
	})
	d, err := Discover(context.Background(), f.srv.Client(), f.srv.URL+"/mcp")
	if err != nil {
		t.Fatal(err)
	}
	if s := d.Scopes(); len(s) != 0 {
		t.Errorf("Scopes() = %q, want none", s)
	}
}

func TestDiscoverRefuses(t *testing.T) {
	prm := func(resource string) map[string]string {
		return map[string]string{
			"/.well-known/oauth-protected-resource/mcp": `{"resource":"` + resource + `","authorization_servers":["{{base}}"]}`,
			"/.well-known/oauth-authorization-server":   asDoc("{{base}}", nil),
		}
	}
	with := func(docs map[string]string, path, doc string) map[string]string {
		docs[path] = doc
		return docs
	}
	tests := []struct {
		name string
		docs map[string]string
		want string
	}{
		{"another resource", prm("https://evil.example.com/mcp"), `for resource "https://evil.example.com/mcp"`},
		{"the origin from the path form", prm("{{base}}"), "refusing it"},
		{"no metadata", map[string]string{}, "has no protected resource metadata"},
		{"no authorization server", with(prm("{{base}}/mcp"), "/.well-known/oauth-protected-resource/mcp", `{"resource":"{{base}}/mcp"}`), "names no authorization_servers"},
		{"another issuer", with(prm("{{base}}/mcp"), "/.well-known/oauth-authorization-server", asDoc("https://other.example.com", nil)), "names issuer"},
		{"no S256", with(prm("{{base}}/mcp"), "/.well-known/oauth-authorization-server", asDoc("{{base}}", map[string]any{"code_challenge_methods_supported": []string{"plain"}})), "S256"},
		{"no PKCE methods", with(prm("{{base}}/mcp"), "/.well-known/oauth-authorization-server", asDoc("{{base}}", map[string]any{"code_challenge_methods_supported": nil})), "S256"},
		{"no authorization server metadata", with(prm("{{base}}/mcp"), "/.well-known/oauth-authorization-server", `<html>`), "no authorization server metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "no authorization server metadata" {
				delete(tt.docs, "/.well-known/oauth-authorization-server")
			}
			f := newFakeMCP(t, `Bearer resource_metadata="{{base}}/.well-known/oauth-protected-resource/mcp"`, tt.docs)
			_, err := Discover(context.Background(), f.srv.Client(), f.srv.URL+"/mcp")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Discover: %v, want an error with %q", err, tt.want)
			}
		})
	}
}

func TestDiscoverRefusesCleartext(t *testing.T) {
	if _, err := Discover(context.Background(), http.DefaultClient, "http://mcp.example.com/mcp"); err == nil || !strings.Contains(err.Error(), "not https") {
		t.Errorf("Discover over http off loopback: %v", err)
	}
}
