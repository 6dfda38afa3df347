// Package mcp logs tok in to MCP servers: it finds a server's authorization
// server from the server itself (RFC 9728 protected resource metadata,
// then RFC 8414 or OpenID Connect metadata, in the order the MCP
// authorization specification gives), picks the scopes to ask for, and
// obtains a client: configured, a Client ID Metadata Document, or an
// RFC 7591 dynamic registration kept in the token store.
package mcp
