package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tok-cli/tok/internal/wire"
)

// Metadata is the part of an authorization server metadata document
// (RFC 8414 §2, OpenID Connect Discovery §3) that tok uses.
type Metadata struct {
	Issuer                            string   `json:"issuer"`
	AuthURL                           string   `json:"authorization_endpoint"`
	TokenURL                          string   `json:"token_endpoint"`
	DeviceAuthURL                     string   `json:"device_authorization_endpoint"`
	RevocationURL                     string   `json:"revocation_endpoint"`
	RegistrationURL                   string   `json:"registration_endpoint"`
	UserinfoURL                       string   `json:"userinfo_endpoint"`
	ScopesSupported                   []string `json:"scopes_supported"`
	CodeChallengeMethods              []string `json:"code_challenge_methods_supported"`
	GrantTypes                        []string `json:"grant_types_supported"`
	TokenAuthMethods                  []string `json:"token_endpoint_auth_methods_supported"`
	IssParameterSupported             bool     `json:"authorization_response_iss_parameter_supported"`
	ClientIDMetadataDocumentSupported bool     `json:"client_id_metadata_document_supported"`
}

// MetadataURLs lists where the metadata of issuer may be, in the order
// tok asks: OpenID configuration appended to the issuer, then RFC 8414 §3
// (well-known segment inserted before the issuer's path), then the OpenID
// form inserted the same way.
func MetadataURLs(issuer string) ([]string, error) {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("issuer %q is not an http(s) URL", issuer)
	}
	path := strings.TrimSuffix(u.Path, "/")
	base := u.Scheme + "://" + u.Host
	urls := []string{base + path + "/.well-known/openid-configuration"}
	urls = append(urls, base+"/.well-known/oauth-authorization-server"+path)
	if path != "" {
		urls = append(urls, base+"/.well-known/openid-configuration"+path)
	}
	return urls, nil
}

// Fetch retrieves and checks the metadata of issuer from the first URL
// that answers with a document. The document's issuer must be identical
// to the one asked for (RFC 8414 §3.3), or it is refused.
func Fetch(ctx context.Context, hc *http.Client, issuer string, urls []string) (*Metadata, error) {
	var busy *wire.BusyError
	for _, u := range urls {
		md, err := fetchOne(ctx, hc, u)
		if errors.Is(err, ErrNoDocument) {
			errors.As(err, &busy)
			continue // try the next well-known location
		}
		if err != nil {
			return nil, err
		}
		if md.Issuer != issuer {
			return nil, fmt.Errorf("discovery at %s names issuer %s, not the configured %q: refusing it", u, quoteShort(md.Issuer, 100), issuer)
		}
		if err := md.check(); err != nil {
			return nil, fmt.Errorf("discovery at %s: %w", u, err)
		}
		return md, nil
	}
	err := fmt.Errorf("no authorization server metadata for %s (tried %s)", issuer, strings.Join(urls, ", "))
	if busy != nil {
		// The server is busy rather than without metadata: say so, and
		// let callers treat it as transient.
		err = &wire.BusyError{Status: busy.Status, Err: fmt.Errorf("%w; it answered HTTP %d", err, busy.Status)}
	}
	return nil, err
}

// ErrNoDocument means no document at a well-known URL: try the next one.
var ErrNoDocument = errors.New("no metadata document")

// quoteShort quotes a string from a server for a one-line message, cut to
// max runes.
func quoteShort(s string, max int) string {
	if r := []rune(s); len(r) > max {
		return strconv.Quote(string(r[:max])) + "..."
	}
	return strconv.Quote(s)
}

func fetchOne(ctx context.Context, hc *http.Client, u string) (*Metadata, error) {
	body, ctype, err := GetDocument(ctx, hc, u)
	var ue *url.Error
	switch {
	case errors.Is(err, ErrNoDocument):
		return nil, err
	case errors.As(err, &ue):
		// The URL may carry a query the user did not mean to print.
		return nil, fmt.Errorf("discovery: %w", ue.Err)
	case err != nil:
		return nil, fmt.Errorf("discovery at %s: %w", u, err)
	}
	return ParseMetadata(body, ctype, u)
}

// GetDocument fetches the JSON document at u: at most 1 MiB, read to the
// end. No document there (any status but 200) is ErrNoDocument; a failed
// request is the client's *url.Error, for the caller to name the URL its
// own way.
func GetDocument(ctx context.Context, hc *http.Client, u string) (body []byte, contentType string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, wire.MaxDrain))
		err := fmt.Errorf("%w at %s (HTTP %d)", ErrNoDocument, u, resp.StatusCode)
		if wire.TransientAnswer(resp.StatusCode, "") {
			return nil, "", &wire.BusyError{Status: resp.StatusCode, Err: err}
		}
		return nil, "", err
	}
	body, err = io.ReadAll(io.LimitReader(resp.Body, wire.MaxDocument+1))
	if err != nil {
		return nil, "", err
	}
	if len(body) > wire.MaxDocument {
		return nil, "", errors.New("document larger than 1 MiB")
	}
	return body, resp.Header.Get("Content-Type"), nil
}

// ParseMetadata decodes a metadata document. It is the parser fuzzed in
// FuzzParseMetadata.
func ParseMetadata(body []byte, contentType, from string) (*Metadata, error) {
	if mt, _, _ := mime.ParseMediaType(contentType); mt == "text/html" {
		return nil, fmt.Errorf("discovery at %s returned an HTML page, not JSON metadata", from)
	}
	var md Metadata
	if err := json.Unmarshal(body, &md); err != nil {
		return nil, fmt.Errorf("discovery at %s returned malformed JSON", from)
	}
	return &md, nil
}

// check refuses documents tok cannot use safely.
func (md *Metadata) check() error {
	if md.TokenURL == "" {
		return errors.New("metadata has no token_endpoint")
	}
	for _, e := range []string{md.AuthURL, md.TokenURL, md.DeviceAuthURL, md.RevocationURL, md.RegistrationURL} {
		if e == "" {
			continue
		}
		if err := SecureURL(e); err != nil {
			return err
		}
	}
	return nil
}

// SecureURL accepts https URLs, and http only on a loopback host, so that
// codes and tokens never cross a network in clear text.
func SecureURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("endpoint %q is not a URL", raw)
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && IsLoopback(u.Hostname()):
		return nil
	}
	return fmt.Errorf("endpoint %s is not https: refusing to send credentials over it", raw)
}

// IsLoopback reports whether host names this machine.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
