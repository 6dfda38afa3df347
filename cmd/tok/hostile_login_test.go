package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tok-cli/tok/internal/store"
)

const hostileCanary = "CANARY-hostile-4c1d"

// TestHostileTokenEndpoint logs in through the real command against an
// authorization server whose token endpoint misbehaves: each login ends in
// one clean line on stderr with exit 1, nothing on stdout, nothing of the
// body, and nothing stored.
func TestHostileTokenEndpoint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		wantErr     string
	}{
		{"html error page", 502, "text/html", "<html>" + hostileCanary + "</html>",
			"token endpoint returned an unexpected response (HTTP 502, text/html); the provider is busy or down: try again shortly"},
		{"error inside 200", 200, "application/json", `{"error":"invalid_grant","access_token":"` + hostileCanary + `"}`,
			"token endpoint refused the request: invalid_grant"},
		{"over 1 MiB", 200, "application/json", `{"access_token":"` + strings.Repeat(hostileCanary, 1<<16) + `"}`,
			"token endpoint returned an unexpected response"},
		{"no access_token", 200, "application/json", `{"refresh_token":"` + hostileCanary + `"}`,
			"token endpoint returned no access_token"},
		{"numeric access_token", 200, "application/json", `{"access_token":7,"refresh_token":"` + hostileCanary + `"}`,
			"token endpoint returned an unexpected response"},
		{"not bearer", 200, "application/json", `{"access_token":"` + hostileCanary + `","token_type":"mac"}`,
			"token endpoint returned token_type mac, tok only handles Bearer"},
		{"negative expires_in", 200, "application/json", `{"access_token":"` + hostileCanary + `","expires_in":-1}`,
			"token endpoint returned a negative expires_in"},
		{"header injection", 200, "application/json", `{"access_token":"x\r\nX-Evil: ` + hostileCanary + `"}`,
			"token endpoint returned an access_token with characters a Bearer token cannot hold"},
		{"redirect", 307, "text/plain", hostileCanary,
			"token endpoint returned an unexpected response (HTTP 307, text/plain)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var followed atomic.Bool
			var srv *httptest.Server
			srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/authorize": // consent at once: back to tok with a code
					q := r.URL.Query()
					back := q.Get("redirect_uri") + "?" + url.Values{"code": {hostileCanary + "-code"}, "state": {q.Get("state")}}.Encode()
					http.Redirect(w, r, back, http.StatusFound)
				case "/token":
					if tt.status == 307 {
						w.Header().Set("Location", srv.URL+"/elsewhere")
					}
					w.Header().Set("Content-Type", tt.contentType)
					w.WriteHeader(tt.status)
					io.WriteString(w, tt.body)
				case "/elsewhere":
					followed.Store(true)
					w.Header().Set("Content-Type", "application/json")
					io.WriteString(w, `{"access_token":"stolen","token_type":"Bearer"}`)
				default:
					http.NotFound(w, r)
				}
			}))
			defer srv.Close()
			e := newLeakEnv(t)
			cfg := "providers:\n  evil:\n    auth_url: " + srv.URL + "/authorize\n    token_url: " + srv.URL +
				"/token\n    client_id: c\n    client_secret: " + hostileCanary + "-secret\n    flow: browser\n"
			e.write("etc/config.yaml", cfg)
			r := e.tok(1, nil, "login", "evil")
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			last := lines[len(lines)-1]
			if last != "tok: "+tt.wantErr {
				t.Errorf("last stderr line %q, want %q", last, "tok: "+tt.wantErr)
			}
			if strings.Contains(r.stderr, hostileCanary) || r.stdout != "" {
				t.Errorf("output leaks the body, code or secret:\nstdout %q\nstderr %s", r.stdout, r.stderr)
			}
			if followed.Load() {
				t.Error("the redirected token request was followed")
			}
			if files, _ := filepath.Glob(filepath.Join(store.FileDir(e.state), "*")); len(files) != 0 {
				t.Errorf("a failed login stored %v", files)
			}
			if _, err := os.Stat(filepath.Join(e.state, "logins")); err == nil {
				t.Error("a failed login wrote an index entry")
			}
			st := e.tok(0, nil, "status", "--json")
			if strings.TrimSpace(st.stdout) != "[]" {
				t.Errorf("status after a failed login: %s", st.stdout)
			}
		})
	}
}
