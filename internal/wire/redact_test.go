package wire

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestSecretsClean(t *testing.T) {
	const rt = "rt/Zx+9 a=b&c"
	s := Secrets{rt, "", "code-1"}
	tests := []struct {
		name, in, want string
		max            int
	}{
		{"exact", "token " + rt + " is spent", "token [redacted] is spent", 200},
		{"form encoded", "refresh_token=" + url.QueryEscape(rt) + "&x=1", "refresh_token=[redacted]&x=1", 200},
		{"path encoded", "/t/" + url.PathEscape(rt), "/t/[redacted]", 200},
		{"split by a control character", "code-\x1b1", "[redacted]", 200},
		{"twice, two secrets", "code-1 code-1 " + rt, "[redacted] [redacted] [redacted]", 200},
		{"cut after redaction", rt + rt + rt, "[redacted][redacted]...", 20},
		{"cut inside the secret", "abc " + rt, "abc [redacted]", 14},
		{"nothing secret", "plain", "plain", 200},
	}
	for _, tt := range tests {
		if got := s.Clean(tt.in, tt.max); got != tt.want {
			t.Errorf("%s: Clean(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
		if got := s.Clean(tt.in, tt.max); strings.Contains(got, "code-1") || strings.Contains(got, "Zx+9") {
			t.Errorf("%s: %q shows a secret", tt.name, got)
		}
	}
	if got := Secrets(nil).Clean("a\nb", 10); got != "ab" {
		t.Errorf("nil Secrets: %q", got)
	}
	// A secret inside a longer one: the longer is replaced whole.
	if got := (Secrets{"abc", "xxabcxx"}).Clean("xxabcxx", 100); got != Redacted {
		t.Errorf("nested secrets: %q", got)
	}
}

func TestClientSecrets(t *testing.T) {
	basic := Client{ID: "id:1", Secret: "s/cret"}
	r, _ := http.NewRequest("POST", "http://127.0.0.1/", nil)
	basic.Authenticate(url.Values{}, r.Header)
	header := strings.TrimPrefix(r.Header.Get("Authorization"), "Basic ")
	if got := basic.Secrets().Clean("got "+header, 200); got != "got [redacted]" {
		t.Errorf("Basic credentials echoed: %q", got)
	}
	if got := (Client{ID: "a", Secret: "s", Method: AuthNone}).Secrets(); got != nil {
		t.Errorf("public client has secrets %q", got)
	}
	if got := (Client{ID: "a", Secret: "s3", Method: AuthPost}).Secrets(); len(got) != 1 || got[0] != "s3" {
		t.Errorf("client_secret_post secrets %q", got)
	}
}
