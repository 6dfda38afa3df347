package provider

import (
	"bytes"
	"context"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode"
)

// FuzzParseMetadata reads authorization server metadata documents (RFC
// 8414 §2) as discovery fetches them, checks them as Discover does, and
// requires that whatever passes sends credentials over https or loopback
// only, and that every refusal is one clean line.
func FuzzParseMetadata(f *testing.F) {
	const iss = "https://id.example.com"
	f.Add([]byte(`{"issuer":"https://id.example.com","authorization_endpoint":"https://id.example.com/auth","token_endpoint":"https://id.example.com/token","device_authorization_endpoint":"https://id.example.com/device","revocation_endpoint":"https://id.example.com/revoke","code_challenge_methods_supported":["S256"],"authorization_response_iss_parameter_supported":true}`), "application/json")
	f.Add([]byte(`{"issuer":"https://id.example.com","token_endpoint":"http://id.example.com/token"}`), "application/json; charset=utf-8")
	f.Add([]byte(`{"issuer":"https://id.example.com","token_endpoint":"http://127.0.0.1:1/t"}`), "")
	f.Add([]byte(`{"issuer":"https://evil.example","token_endpoint":"https://evil.example/token"}`), "application/json")
	f.Add([]byte(`<html>`), "text/html")
	f.Add([]byte(`{"issuer":"https://id.example.com","token_endpoint":"//id.example.com/t","scopes_supported":"x"}`), "application/json")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		hc := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {contentType}},
				Body: io.NopCloser(bytes.NewReader(body))}, nil
		})}
		md, err := Fetch(context.Background(), hc, iss, []string{iss + "/.well-known/openid-configuration"})
		if err != nil {
			msg := err.Error()
			for _, r := range msg {
				if unicode.IsControl(r) {
					t.Fatalf("error holds %U: %q", r, msg)
				}
			}
			if len(msg) > 1000 {
				t.Fatalf("error is %d bytes", len(msg))
			}
			return
		}
		if md.Issuer != iss || md.TokenURL == "" {
			t.Fatalf("accepted %+v", md)
		}
		for _, u := range []string{md.AuthURL, md.TokenURL, md.DeviceAuthURL, md.RevocationURL, md.RegistrationURL} {
			if u == "" {
				continue
			}
			if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
				t.Fatalf("accepted endpoint %q", u)
			}
			if SecureURL(u) != nil {
				t.Fatalf("accepted insecure endpoint %q", u)
			}
		}
		// The cache keeps what was accepted as it was.
		d := &Discoverer{CacheDir: t.TempDir(), Now: time.Now}
		d.writeCache(d.cachePath(iss), md)
		if got := d.readCache(d.cachePath(iss)); got == nil || got.TokenURL != md.TokenURL || got.Issuer != md.Issuer {
			t.Fatalf("cache round trip: %+v", got)
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// FuzzMetadataURLs builds the well-known URLs of any issuer a config may
// name: they stay on the issuer's scheme and host.
func FuzzMetadataURLs(f *testing.F) {
	f.Add("https://id.example.com/tenant/a/")
	f.Add("http://127.0.0.1:5556")
	f.Add("https://id.example.com?x=1#f")
	f.Add("https://user:pw@id.example.com")
	f.Fuzz(func(t *testing.T, issuer string) {
		urls, err := MetadataURLs(issuer)
		if err != nil {
			return
		}
		if len(urls) < 2 || len(urls) > 3 {
			t.Fatalf("%d URLs", len(urls))
		}
		for _, u := range urls {
			if !strings.Contains(u, "/.well-known/") {
				t.Fatalf("%q from %q", u, issuer)
			}
		}
	})
}

// FuzzParseTokenParams reads TOK_<P>_TOKEN_PARAMS as a user (or a CI
// secret store) writes it: whatever it accepts re-encodes to the same
// parameters, and every refusal is one clean line.
func FuzzParseTokenParams(f *testing.F) {
	for _, s := range []string{"audience=https%3A%2F%2Fapi.example.com%2F", "a=1&b=2", "a=1&a=2", "=x", "a", "a=%zz", "a=1;b=2", " a=1", "a=+b+&c=%2B"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		params, err := ParseTokenParams(s)
		if err != nil {
			if msg := err.Error(); strings.ContainsAny(msg, "\n\r\x1b") || len(msg) > 200 {
				t.Fatalf("error %q", msg)
			}
			return
		}
		q := url.Values{}
		for k, v := range params {
			if k == "" {
				t.Fatalf("empty key from %q", s)
			}
			q.Set(k, v)
		}
		again, err := ParseTokenParams(q.Encode())
		if err != nil || !maps.Equal(again, params) {
			t.Fatalf("%q: %v re-encoded as %q gives %v, %v", s, params, q.Encode(), again, err)
		}
	})
}
