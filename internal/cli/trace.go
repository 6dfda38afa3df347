package cli

import (
	"io"
	"net/http"
	"net/url"
	"time"
)

// traceTransport logs each request's method, URL without query, status
// and duration. It never logs headers, bodies or query strings, which is
// where codes, tokens and client secrets travel.
type traceTransport struct {
	base http.RoundTripper
	out  io.Writer
}

func traced(hc *http.Client, out io.Writer) *http.Client {
	c := *hc
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = &traceTransport{base: base, out: out}
	return &c
}

func (t *traceTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	u := url.URL{Scheme: req.URL.Scheme, Host: req.URL.Host, Path: req.URL.Path}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		noteTo(t.out, "http: %s %s: failed after %s", req.Method, u.String(), time.Since(start).Round(time.Millisecond))
		return nil, err
	}
	noteTo(t.out, "http: %s %s: %d %s in %s", req.Method, u.String(), resp.StatusCode,
		resp.Header.Get("Content-Type"), time.Since(start).Round(time.Millisecond))
	return resp, nil
}
