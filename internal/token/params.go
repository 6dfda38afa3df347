package token

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// paramTransport adds form parameters to POSTs sent to one URL.
type paramTransport struct {
	base   http.RoundTripper
	target string
	params map[string]string
}

// WithTokenParams returns a client that adds params to every form POST to
// tokenURL and is otherwise hc.
func WithTokenParams(hc *http.Client, tokenURL string, params map[string]string) *http.Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	c := *hc
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = &paramTransport{base: base, target: tokenURL, params: params}
	return &c
}

func (t *paramTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodPost || req.URL.String() != t.target || req.Body == nil {
		return t.base.RoundTrip(req)
	}
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, err
	}
	for k, v := range t.params {
		if form.Get(k) == "" {
			form.Set(k, v)
		}
	}
	enc := form.Encode()
	r2 := req.Clone(req.Context())
	r2.Body = io.NopCloser(bytes.NewReader([]byte(enc)))
	r2.ContentLength = int64(len(enc))
	r2.Header.Set("Content-Length", strconv.Itoa(len(enc)))
	r2.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader([]byte(enc))), nil }
	return t.base.RoundTrip(r2)
}
