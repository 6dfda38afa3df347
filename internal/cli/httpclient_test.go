package cli

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// A redirected token request must not carry its body elsewhere: tok's
// client hands the 307 back instead of following it. GETs (discovery)
// still follow.
func TestHTTPClientRedirects(t *testing.T) {
	var leaked atomic.Value
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		leaked.Store(string(b))
		io.WriteString(w, `{"issuer":"x"}`)
	}))
	defer elsewhere.Close()
	for _, code := range []int{301, 302, 303, 307, 308} {
		srv := httptest.NewServer(http.RedirectHandler(elsewhere.URL+"/token", code))
		leaked.Store("")
		resp, err := newHTTPClient().PostForm(srv.URL+"/token", url.Values{"refresh_token": {"CANARY-rt"}, "client_secret": {"CANARY-cs"}})
		if err != nil {
			t.Fatalf("%d: %v", code, err)
		}
		resp.Body.Close()
		if resp.StatusCode != code {
			t.Errorf("POST redirected with %d was followed (got %d)", code, resp.StatusCode)
		}
		if s, _ := leaked.Load().(string); strings.Contains(s, "CANARY") || s != "" {
			t.Errorf("%d: the redirect target got %q", code, s)
		}
		resp, err = newHTTPClient().Get(srv.URL + "/.well-known/openid-configuration")
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("GET redirected with %d not followed: %v %v", code, resp.StatusCode, err)
		}
		resp.Body.Close()
		srv.Close()
	}
	if newHTTPClient().Timeout <= 0 {
		t.Error("tok's HTTP client has no timeout")
	}
	if NewApp(nil, io.Discard, io.Discard).HTTP.CheckRedirect == nil {
		t.Error("NewApp does not use newHTTPClient")
	}
}

func TestWithoutSecrets(t *testing.T) {
	in := []string{"PATH=/bin", "TOK_PASSPHRASE=p", "TOK_DEX_CLIENT_SECRET=s", "TOK_DEX_CLIENT_ID=id", "TOK_PASSPHRASE_FILE=/f", "HOME=/h"}
	got := strings.Join(withoutSecrets(in), " ")
	if got != "PATH=/bin TOK_DEX_CLIENT_ID=id TOK_PASSPHRASE_FILE=/f HOME=/h" {
		t.Errorf("withoutSecrets = %s", got)
	}
}
