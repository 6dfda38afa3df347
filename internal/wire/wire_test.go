package wire

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

func TestExpiresIn(t *testing.T) {
	tests := []struct {
		in    any
		secs  int64
		given bool
	}{
		{float64(3600), 3600, true},
		{"3600", 3600, true},
		{" 60 ", 60, true},
		{"-5", -5, true},
		{float64(-1), -1, true},
		{int64(7), 7, true},
		{"3600.5", 3600, true},
		{float64(1e300), 1 << 40, true},
		{nil, 0, false},
		{"soon", 0, false},
		{"NaN", 0, false},
		{true, 0, false},
		{map[string]any{}, 0, false},
	}
	for _, tt := range tests {
		secs, given := ExpiresIn(tt.in)
		if secs != tt.secs || given != tt.given {
			t.Errorf("ExpiresIn(%#v) = %d, %v; want %d, %v", tt.in, secs, given, tt.secs, tt.given)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		header string
		want   time.Duration
		ok     bool
	}{
		{"2", 2 * time.Second, true},
		{"0", 0, true},
		{"3600", MaxRetryAfter, true},
		{now.Add(10 * time.Second).Format(http.TimeFormat), 10 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{now.Add(time.Hour).Format(http.TimeFormat), MaxRetryAfter, true},
		{"", 0, false},
		{"-1", 0, false},
		{"soon", 0, false},
		{"99999999999999999999", 0, false},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.header != "" {
			h.Set("Retry-After", tt.header)
		}
		got, ok := RetryAfter(h, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("RetryAfter(%q) = %v, %v; want %v, %v", tt.header, got, ok, tt.want, tt.ok)
		}
	}
}

func retrieveError(status int, code string) error {
	return &oauth2.RetrieveError{Response: &http.Response{StatusCode: status, Header: http.Header{}}, ErrorCode: code}
}

func TestTransient(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{retrieveError(429, ""), true},
		{retrieveError(503, ""), true},
		{retrieveError(500, "server_error"), true},
		{retrieveError(400, "temporarily_unavailable"), true},
		{retrieveError(400, "invalid_grant"), false},
		{retrieveError(401, ""), false},
		{retrieveError(503, "invalid_grant"), false},
		{&url.Error{Op: "Post", URL: "https://x", Err: errors.New("connection refused")}, true},
		{&url.Error{Op: "Post", URL: "https://x", Err: context.Canceled}, false},
		{errors.New("token_type mac"), false},
	}
	for _, tt := range tests {
		if got := Transient(tt.err); got != tt.want {
			t.Errorf("Transient(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestClientAuthenticate(t *testing.T) {
	tests := []struct {
		c         Client
		basic     bool
		form      string
		authStyle oauth2.AuthStyle
	}{
		{Client{ID: "id", Secret: "s+/:=%"}, true, "", oauth2.AuthStyleInHeader},
		{Client{ID: "id", Secret: "s", Method: AuthBasic}, true, "", oauth2.AuthStyleInHeader},
		{Client{ID: "id", Secret: "s+/", Method: AuthPost}, false, "client_id=id&client_secret=s%2B%2F", oauth2.AuthStyleInParams},
		{Client{ID: "id", Secret: "s", Method: AuthNone}, false, "client_id=id", oauth2.AuthStyleInParams},
		{Client{ID: "id"}, false, "client_id=id", oauth2.AuthStyleInParams},
	}
	for _, tt := range tests {
		form, h := url.Values{}, http.Header{}
		tt.c.Authenticate(form, h)
		if got := form.Encode(); got != tt.form {
			t.Errorf("%+v: form %q, want %q", tt.c, got, tt.form)
		}
		if tt.c.AuthStyle() != tt.authStyle {
			t.Errorf("%+v: AuthStyle %v", tt.c, tt.c.AuthStyle())
		}
		r := &http.Request{Header: h}
		id, secret, ok := r.BasicAuth()
		if ok != tt.basic {
			t.Fatalf("%+v: basic %v, want %v", tt.c, ok, tt.basic)
		}
		// RFC 6749 §2.3.1: both form-encoded before Basic.
		if ok && (id != url.QueryEscape(tt.c.ID) || secret != url.QueryEscape(tt.c.Secret)) {
			t.Errorf("%+v: basic %q:%q", tt.c, id, secret)
		}
	}
}

func TestClean(t *testing.T) {
	if got := Clean("bad\x1b[31m\nred\u202e", 100); got != "bad[31mred" {
		t.Errorf("Clean = %q", got)
	}
	if got := Clean(strings.Repeat("a", 10), 4); got != "aaaa..." {
		t.Errorf("Clean cut = %q", got)
	}
}

func TestScrubURLError(t *testing.T) {
	err := &url.Error{Op: "Get", URL: "https://h/p?code=SECRET", Err: errors.New("refused")}
	if got := ScrubURLError(err).Error(); strings.Contains(got, "SECRET") || got != "refused" {
		t.Errorf("ScrubURLError = %q", got)
	}
	// still a request that got no answer
	if !Transient(ScrubURLError(err)) || !Transient(fmt.Errorf("x: %w", ScrubURLError(err))) {
		t.Error("a scrubbed url.Error is no longer transient")
	}
	if got := Redact("https://u:pw@h/p?code=SECRET#f"); got != "https://u:xxxxx@h/p" {
		t.Errorf("Redact = %q", got)
	}
}

// FuzzRetryAfter reads Retry-After and expires_in values a server chose:
// never a panic, never a wait over MaxRetryAfter or below zero.
func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"2", "Wed, 21 Oct 2015 07:28:00 GMT", "", "-1", "1e9", "3600.5"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		h := http.Header{}
		h.Set("Retry-After", s)
		if d, ok := RetryAfter(h, now); d < 0 || d > MaxRetryAfter || (!ok && d != 0) {
			t.Fatalf("RetryAfter(%q) = %v, %v", s, d, ok)
		}
		if secs, _ := ExpiresIn(s); secs > 1<<40 || secs < -(1<<40) {
			t.Fatalf("ExpiresIn(%q) = %d", s, secs)
		}
	})
}
