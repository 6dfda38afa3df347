package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/store"
)

// Where a client comes from, in the order tok tries them (MCP
// authorization, "Client Registration Approaches").
const (
	KindConfigured       = "configured"
	KindMetadataDocument = "metadata_document"
	KindRegistered       = "registered"
)

// Client is the OAuth client tok logs in as.
type Client struct {
	Kind         string
	ID           string
	Secret       string
	AuthMethod   string // "" = by whether there is a secret
	RedirectPort int    // 0 = any free port
	// RedirectURI is the registered redirect URI of a KindRegistered
	// client; Reused says the registration was found in the store.
	RedirectURI string
	Reused      bool
}

// SecretStore keeps registrations; store.Store is one.
type SecretStore interface {
	LoadRaw(ctx context.Context, key string) ([]byte, error)
	SaveRaw(ctx context.Context, key string, value []byte) error
	RemoveRaw(ctx context.Context, key string) error
}

// RegistrationKey is the token store key of the registration made with
// issuer for redirectURI.
func RegistrationKey(issuer, redirectURI string) string {
	return "registration:" + issuer + " " + redirectURI
}

// RedirectURI is the loopback redirect URI the browser flow listens on.
func RedirectURI(port int) string {
	return "http://127.0.0.1:" + strconv.Itoa(port) + "/callback"
}

// Clients finds or makes the client for a login.
type Clients struct {
	HTTP  *http.Client
	Store SecretStore
	Now   func() time.Time
	// PortFree reports whether the redirect listener could bind port on
	// 127.0.0.1; FreePort picks one. nil means really try.
	PortFree func(port int) bool
	FreePort func() (int, error)
}

// Want is what the configuration says about the client.
type Want struct {
	ID, Secret, AuthMethod string
	RedirectPort           int
	// MetadataURL is tok's Client ID Metadata Document URL, if any.
	MetadataURL string
	// Known lists redirect URIs of earlier registrations with this
	// issuer, the one to try first first.
	Known []string
}

// NoClientError says the authorization server offers tok no client.
type NoClientError struct {
	Issuer        string
	CIMDSupported bool
}

func (e *NoClientError) Error() string {
	if e.CIMDSupported {
		return fmt.Sprintf("authorization server %s has no registration_endpoint and tok has no client_metadata_url for its Client ID Metadata Document support", e.Issuer)
	}
	return fmt.Sprintf("authorization server %s supports neither dynamic client registration nor Client ID Metadata Documents", e.Issuer)
}

// Choose returns the client to log in with: the configured one, else a
// Client ID Metadata Document when the server accepts one, else a stored
// registration whose redirect port is free, else a new registration.
func (c *Clients) Choose(ctx context.Context, md *provider.Metadata, w Want) (*Client, error) {
	switch {
	case w.ID != "":
		return &Client{Kind: KindConfigured, ID: w.ID, Secret: w.Secret, AuthMethod: w.AuthMethod, RedirectPort: w.RedirectPort}, nil
	case w.MetadataURL != "" && md.ClientIDMetadataDocumentSupported:
		return &Client{Kind: KindMetadataDocument, ID: w.MetadataURL, AuthMethod: AuthNone, RedirectPort: w.RedirectPort}, nil
	case md.RegistrationURL == "":
		return nil, &NoClientError{Issuer: md.Issuer, CIMDSupported: md.ClientIDMetadataDocumentSupported}
	}
	for _, uri := range w.Known {
		reg, err := c.Load(ctx, md.Issuer, uri)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		port := portOf(uri)
		if !reg.Usable(c.now()) || (w.RedirectPort != 0 && port != w.RedirectPort) || !c.portFree(port) {
			continue
		}
		return clientOf(reg, true), nil
	}
	return c.register(ctx, md, w.RedirectPort)
}

// Replace forgets a registration the server no longer knows and registers
// again, on the same port when it is free.
func (c *Clients) Replace(ctx context.Context, md *provider.Metadata, old *Client) (*Client, error) {
	if err := c.Forget(ctx, md.Issuer, old.RedirectURI); err != nil {
		return nil, err
	}
	port := portOf(old.RedirectURI)
	if !c.portFree(port) {
		port = 0
	}
	return c.register(ctx, md, port)
}

// Forget removes a stored registration.
func (c *Clients) Forget(ctx context.Context, issuer, redirectURI string) error {
	return c.Store.RemoveRaw(ctx, RegistrationKey(issuer, redirectURI))
}

// Load returns a stored registration, or store.ErrNotFound.
func (c *Clients) Load(ctx context.Context, issuer, redirectURI string) (*Registration, error) {
	b, err := c.Store.LoadRaw(ctx, RegistrationKey(issuer, redirectURI))
	if err != nil {
		return nil, err
	}
	var reg Registration
	if json.Unmarshal(b, &reg) != nil || reg.ClientID == "" {
		// Unreadable: as good as absent; a new one will replace it.
		return nil, store.ErrNotFound
	}
	return &reg, nil
}

// register picks the redirect port first, since RFC 7591 registers the
// exact redirect URI, then registers and stores the registration.
func (c *Clients) register(ctx context.Context, md *provider.Metadata, port int) (*Client, error) {
	if port == 0 {
		p, err := c.freePort()
		if err != nil {
			return nil, err
		}
		port = p
	}
	reg, err := Register(ctx, c.HTTP, md, RedirectURI(port), c.now())
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(reg)
	if err != nil {
		return nil, err
	}
	if err := c.Store.SaveRaw(ctx, RegistrationKey(reg.Issuer, reg.RedirectURI), b); err != nil {
		return nil, fmt.Errorf("registered a client with %s but could not store it: %w", md.Issuer, err)
	}
	return clientOf(reg, false), nil
}

func clientOf(reg *Registration, reused bool) *Client {
	return &Client{
		Kind: KindRegistered, ID: reg.ClientID, Secret: reg.ClientSecret, AuthMethod: reg.AuthMethod,
		RedirectPort: portOf(reg.RedirectURI), RedirectURI: reg.RedirectURI, Reused: reused,
	}
}

func portOf(redirectURI string) int {
	u, err := url.Parse(redirectURI)
	if err != nil {
		return 0
	}
	p, _ := strconv.Atoi(u.Port())
	return p
}

func (c *Clients) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

func (c *Clients) portFree(port int) bool {
	if port <= 0 {
		return false
	}
	if c.PortFree != nil {
		return c.PortFree(port)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

func (c *Clients) freePort() (int, error) {
	if c.FreePort != nil {
		return c.FreePort()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("cannot find a free port for the login redirect: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
