package mcp

import (
	"reflect"
	"testing"
)

func TestCanonical(t *testing.T) {
	ok := map[string]string{
		"https://MCP.Example.com/mcp/":        "https://mcp.example.com/mcp",
		"https://mcp.example.com":             "https://mcp.example.com",
		"https://mcp.example.com/":            "https://mcp.example.com",
		"https://mcp.example.com:8443/a#frag": "https://mcp.example.com:8443/a",
		"http://127.0.0.1:9/mcp?x=1":          "http://127.0.0.1:9/mcp",
		"http://localhost:3000/mcp":           "http://localhost:3000/mcp",
	}
	for in, want := range ok {
		if got, err := Canonical(in); err != nil || got != want {
			t.Errorf("Canonical(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"http://mcp.example.com/mcp", "ftp://x/y", "mcp.example.com", "https://user:pw@x.example/"} {
		if got, err := Canonical(bad); err == nil {
			t.Errorf("Canonical(%q) = %q, want an error", bad, got)
		}
	}
}

func TestPRMURLs(t *testing.T) {
	tests := map[string][]string{
		"https://mcp.example.com/public/mcp": {
			"https://mcp.example.com/.well-known/oauth-protected-resource/public/mcp",
			"https://mcp.example.com/.well-known/oauth-protected-resource",
		},
		"https://mcp.example.com": {"https://mcp.example.com/.well-known/oauth-protected-resource"},
	}
	for in, want := range tests {
		if got := PRMURLs(in); !reflect.DeepEqual(got, want) {
			t.Errorf("PRMURLs(%q) = %q, want %q", in, got, want)
		}
	}
}

// The order of the MCP authorization specification, "Authorization
// Server Metadata Discovery".
func TestASMetadataURLs(t *testing.T) {
	tests := map[string][]string{
		"https://auth.example.com/tenant1": {
			"https://auth.example.com/.well-known/oauth-authorization-server/tenant1",
			"https://auth.example.com/.well-known/openid-configuration/tenant1",
			"https://auth.example.com/tenant1/.well-known/openid-configuration",
		},
		"https://auth.example.com/tenant1/": {
			"https://auth.example.com/.well-known/oauth-authorization-server/tenant1",
			"https://auth.example.com/.well-known/openid-configuration/tenant1",
			"https://auth.example.com/tenant1/.well-known/openid-configuration",
		},
		"https://auth.example.com": {
			"https://auth.example.com/.well-known/oauth-authorization-server",
			"https://auth.example.com/.well-known/openid-configuration",
		},
	}
	for in, want := range tests {
		got, err := ASMetadataURLs(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ASMetadataURLs(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"auth.example.com", "https://auth.example.com/?x=1", "https://auth.example.com/#f"} {
		if _, err := ASMetadataURLs(bad); err == nil {
			t.Errorf("ASMetadataURLs(%q): want an error", bad)
		}
	}
}

func TestResourceAccepted(t *testing.T) {
	const server = "https://mcp.example.com/public/mcp"
	const pathPRM = "https://mcp.example.com/.well-known/oauth-protected-resource/public/mcp"
	const rootPRM = "https://mcp.example.com/.well-known/oauth-protected-resource"
	const custom = "https://mcp.example.com/custom/metadata.json"
	tests := []struct {
		resource, prm string
		want          bool
	}{
		{"https://mcp.example.com/public/mcp", pathPRM, true},
		{"https://MCP.example.com/public/mcp/", custom, true}, // canonical forms are equal
		{"https://mcp.example.com", rootPRM, true},            // RFC 9728 §3.3: the root form names the origin
		{"https://mcp.example.com", pathPRM, false},           // the path form names the whole URL
		{"https://mcp.example.com", custom, false},            // a named document must name the server
		{"https://evil.example.com/public/mcp", pathPRM, false},
		{"https://mcp.example.com/public/mcpx", pathPRM, false},
		{"https://mcp.example.com/other", rootPRM, false},
		{"", pathPRM, false},
		{"http://mcp.example.com/public/mcp", pathPRM, false},
	}
	for _, tt := range tests {
		if got := resourceAccepted(tt.resource, server, tt.prm); got != tt.want {
			t.Errorf("resourceAccepted(%q, %q) = %v, want %v", tt.resource, tt.prm, got, tt.want)
		}
	}
}
