package token

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/tokerr"
)

const canary = "CANARY-refresh-9d2c"

// TestRefreshHostile sends a refresh to token endpoints that misbehave.
// Each must end in one clean line with the README "Exit status" code, no byte of
// the body beyond an RFC 6749 §5.2 error code, and the stored login left
// exactly as it was.
func TestRefreshHostile(t *testing.T) {
	big := strings.Repeat(canary, 1<<16)
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		wantErr     string
		wantCode    tokerr.Code
	}{
		{"rejected", 400, "application/json", `{"error":"invalid_grant","debug":"` + canary + `"}`,
			"no usable login for dex: the provider rejected the refresh: token endpoint refused the request: invalid_grant", tokerr.LoginNeeded},
		{"rejected inside 200", 200, "application/json", `{"error":"invalid_grant","access_token":"` + canary + `"}`,
			"no usable login for dex: the provider rejected the refresh: token endpoint refused the request: invalid_grant", tokerr.LoginNeeded},
		{"html error page", 502, "text/html", "<html>" + canary + "</html>",
			"refreshing dex: token endpoint returned an unexpected response (HTTP 502, text/html)", tokerr.Failure},
		{"html 200", 200, "text/html", "<html>" + canary + "</html>",
			"refreshing dex: token endpoint returned an unexpected response", tokerr.Failure},
		{"not json", 200, "application/json", canary,
			"refreshing dex: token endpoint returned an unexpected response", tokerr.Failure},
		{"text", 200, "text/plain", canary,
			"refreshing dex: token endpoint returned no access_token", tokerr.Failure},
		{"over 1 MiB", 200, "application/json", `{"access_token":"` + big + `"}`,
			"refreshing dex: token endpoint returned an unexpected response", tokerr.Failure},
		{"error over 1 MiB", 400, "application/json", `{"error":"invalid_grant","x":"` + big + `"}`,
			"no usable login for dex: the provider rejected the refresh: token endpoint returned an unexpected response (HTTP 400, application/json)", tokerr.LoginNeeded},
		{"no access_token", 200, "application/json", `{"refresh_token":"` + canary + `"}`,
			"refreshing dex: token endpoint returned no access_token", tokerr.Failure},
		{"numeric access_token", 200, "application/json", `{"access_token":42,"refresh_token":"` + canary + `"}`,
			"refreshing dex: token endpoint returned an unexpected response", tokerr.Failure},
		{"not bearer", 200, "application/json", `{"access_token":"` + canary + `","token_type":"N_A","refresh_token":"` + canary + `"}`,
			"token endpoint returned token_type N_A, tok only handles Bearer", tokerr.Failure},
		{"negative expires_in", 200, "application/json", `{"access_token":"` + canary + `","expires_in":-1,"refresh_token":"` + canary + `"}`,
			"token endpoint returned a negative expires_in", tokerr.Failure},
		{"redirect", 307, "text/html", `<a href="/elsewhere">` + canary + `</a>`,
			"refreshing dex: token endpoint returned an unexpected response (HTTP 307, text/html)", tokerr.Failure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				if tt.status == 307 {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			f := newFixture(t, srv.URL+"/token")
			// As tok's own client does (internal/cli): no redirects for
			// token requests.
			f.m.HTTP = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			f.save(t, "at1", "rt1", -time.Minute)
			_, err := f.m.Fresh(context.Background(), f.tgt, f.p, time.Minute)
			checkRefreshFailed(t, f, err, tt.wantErr, tt.wantCode)
		})
	}
}

func checkRefreshFailed(t *testing.T, f *fixture, err error, want string, code tokerr.Code) {
	t.Helper()
	if err == nil {
		t.Fatal("refresh succeeded")
	}
	if msg := err.Error(); msg != want {
		t.Errorf("err = %q\nwant  %q", msg, want)
	}
	if got := tokerr.ExitCode(err); got != int(code) {
		t.Errorf("exit status %d, want %d", got, code)
	}
	if strings.Contains(err.Error(), canary) || strings.ContainsAny(err.Error(), "\n\r") {
		t.Errorf("error is not one clean line without the body: %q", err)
	}
	rec, lerr := f.st.Load(context.Background(), "dex", "default")
	if lerr != nil || rec.AccessToken != "at1" || rec.RefreshToken != "rt1" {
		t.Errorf("the stored login changed: %+v %v", rec, lerr)
	}
}

// A token endpoint that never answers is bounded by the HTTP client's
// timeout (30s in tok, shorter here).
func TestRefreshServerNeverAnswers(t *testing.T) {
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hang }))
	defer srv.Close()
	defer close(hang)
	f := newFixture(t, srv.URL+"/token")
	f.m.HTTP = &http.Client{Timeout: 100 * time.Millisecond}
	f.save(t, "at1", "rt1", -time.Minute)
	start := time.Now()
	_, err := f.m.Refresh(context.Background(), f.tgt, f.p)
	if time.Since(start) > 10*time.Second {
		t.Errorf("refresh took %s", time.Since(start))
	}
	checkRefreshFailed(t, f, err, "refreshing dex: token endpoint did not answer in time", tokerr.Failure)
}

// The same for a token endpoint that answers the headers and then
// trickles the body forever.
func TestRefreshServerStallsBody(t *testing.T) {
	hang := make(chan struct{})
	var started atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started.Store(true)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"`+canary)
		w.(http.Flusher).Flush()
		<-hang
	}))
	defer srv.Close()
	defer close(hang)
	f := newFixture(t, srv.URL+"/token")
	f.m.HTTP = &http.Client{Timeout: 200 * time.Millisecond}
	f.save(t, "at1", "rt1", -time.Minute)
	_, err := f.m.Refresh(context.Background(), f.tgt, f.p)
	if !started.Load() {
		t.Fatal("no request")
	}
	if err == nil {
		t.Fatal("refresh succeeded")
	}
	if tokerr.ExitCode(err) != int(tokerr.Failure) || strings.Contains(err.Error(), canary) || strings.ContainsAny(err.Error(), "\n\r") {
		t.Errorf("err = %q (exit %d)", err, tokerr.ExitCode(err))
	}
}
