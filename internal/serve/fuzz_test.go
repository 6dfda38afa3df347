package serve

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzRefusedRequest sends the endpoint any path, Authorization and
// Origin: what it reports refused (the audit log's target and reason) is
// one bounded line of printable text, one of the known reasons, and
// never holds the secret.
func FuzzRefusedRequest(f *testing.F) {
	f.Add("/token/dex", "", "")
	f.Add("/token/dex:work", "Bearer wrong", "")
	f.Add("/token/https:%2F%2Fevil.example.com%2Fmcp", "SECRET", "")
	f.Add("/token/dex", "SECRET", "http://evil.example")
	f.Add("/token/%1b[2J%0a%ff%zz", "Basic SECRET", "")
	f.Add("/"+strings.Repeat("x", 300), "", "")
	reasons := []string{
		"a request without the right secret (HTTP 401)",
		"a request from a browser page (HTTP 403)",
		"a request for a target tok exec was not given (HTTP 403)",
	}
	var target, reason string
	var told int
	s, err := Start([]string{"dex"}, func(context.Context, string) (any, error) { return doc{"dex"}, nil }, nil,
		func(t, r string) { target, reason, told = t, r, told+1 })
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(s.Close)
	f.Fuzz(func(t *testing.T, path, auth, origin string) {
		req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.URL.Path, req.URL.RawPath = path, ""
		if strings.HasPrefix(path, "/") && !strings.Contains(path, "%") {
			// As sent: percent escapes reach the server escaped.
			req.URL.RawPath = path
		}
		req.Header.Set("Authorization", strings.ReplaceAll(auth, "SECRET", s.Secret()))
		req.Header.Set("Origin", origin)
		target, reason, told = "", "", 0
		s.nRefused.Store(0)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if told > 1 {
			t.Fatalf("one request reported refused %d times", told)
		}
		if told == 0 {
			if rec.Code == http.StatusUnauthorized || rec.Code == http.StatusForbidden {
				t.Fatalf("HTTP %d not reported refused", rec.Code)
			}
			return
		}
		known := false
		for _, r := range reasons {
			known = known || reason == r
		}
		if !known {
			t.Fatalf("unknown reason %q", reason)
		}
		if len(target) > 203 {
			t.Fatalf("target of %d bytes", len(target))
		}
		for _, r := range target {
			if r < 0x20 || r == 0x7f {
				t.Fatalf("target %q holds a control character", target)
			}
		}
		if strings.Contains(target+reason, s.Secret()) {
			t.Fatal("a refusal holds the secret")
		}
	})
}
