package flow

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tok-cli/tok/internal/tokerr"
)

const testIssuer = "https://issuer.example"

// browserRun is one Browser flow driven by a test "browser": an http.Client
// that GETs the callback built from the authorization URL tok opened.
type browserRun struct {
	t       *testing.T
	p       *provider
	stderr  *syncBuffer
	done    chan struct{}
	tok     *oauth2.Token
	err     error
	auth    url.Values // the authorization request's parameters
	authURL string
}

func baseRequest(p *provider, stderr io.Writer) Request {
	return Request{
		OAuth: oauth2.Config{ClientID: "tok-client", ClientSecret: canary,
			Endpoint: p.endpoint(), Scopes: []string{"openid", "email"}},
		Issuer:      testIssuer,
		AuthParams:  map[string]string{"prompt": "consent"},
		TokenParams: map[string]string{"resource": "https://api.example"},
		ShowURL:     printURL(stderr),
		Note:        func(msg string) { fmt.Fprintf(stderr, "tok: %s\n", msg) },
		Warn:        func(msg string) { fmt.Fprintf(stderr, "tok: warning: %s\n", msg) },
		HTTPClient:  p.srv.Client(),
		Target:      testTarget,
	}
}

// testTarget is the name the pages show; the markup in it must come out
// escaped.
const testTarget = "dex:<b>work</b>"

func startBrowser(t *testing.T, p *provider, mod func(*Request)) *browserRun {
	t.Helper()
	b := &browserRun{t: t, p: p, stderr: &syncBuffer{}, done: make(chan struct{})}
	urls := make(chan string, 1)
	r := baseRequest(p, b.stderr)
	r.OpenBrowser = func(u string) (<-chan error, error) { urls <- u; return nil, nil }
	if mod != nil {
		mod(&r)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	go func() {
		defer close(b.done)
		b.tok, b.err = Browser(ctx, r)
	}()
	if r.NoBrowser {
		waitFor(t, "the printed URL", func() bool { return strings.Contains(b.stderr.String(), "\n") })
		b.authURL = strings.SplitN(b.stderr.String(), "\n", 2)[0]
	} else {
		select {
		case b.authURL = <-urls:
		case <-b.done:
			t.Fatalf("flow ended before opening the browser: %v", b.err)
		}
	}
	u, err := url.Parse(b.authURL)
	if err != nil || !strings.HasPrefix(b.authURL, p.srv.URL+"/authorize?") {
		t.Fatalf("authorization URL %q", b.authURL)
	}
	b.auth = u.Query()
	return b
}

func (b *browserRun) redirectURI() string { return b.auth.Get("redirect_uri") }

// donePage is where the listener sends the browser after the callback.
func (b *browserRun) donePage() string {
	return strings.TrimSuffix(b.redirectURI(), "/callback") + "/done"
}

// fail sends the callback q, which must end the flow, and checks the browser
// is moved off it to a failure page that says sentence.
func (b *browserRun) fail(q url.Values, sentence string) {
	b.t.Helper()
	resp, _ := b.do("GET", b.callbackURL(q), "")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/done" {
		b.t.Fatalf("callback: %d Location %q, want 303 to /done", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := b.do("GET", b.donePage(), "")
	if resp.StatusCode != 200 || !strings.Contains(body, "Login failed") || !strings.Contains(body, template.HTMLEscapeString(sentence)) {
		b.t.Errorf("failure page: %d %q, want it to say %q", resp.StatusCode, body, sentence)
	}
	for _, v := range q {
		for _, s := range v {
			if len(s) > 3 && (strings.Contains(body, s) || strings.Contains(body, template.HTMLEscapeString(s))) {
				b.t.Errorf("failure page echoes %q", s)
			}
		}
	}
}

// callbackURL is where the provider would send the browser; q gets the
// right state unless it sets one itself.
func (b *browserRun) callbackURL(q url.Values) string {
	if _, ok := q["state"]; !ok {
		q.Set("state", b.auth.Get("state"))
	}
	return b.redirectURI() + "?" + q.Encode()
}

// do sends a request to the listener without following redirects and
// returns the response with its body read.
func (b *browserRun) do(method, rawURL, host string) (*http.Response, string) {
	b.t.Helper()
	req, err := http.NewRequest(method, rawURL, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assertSecurityHeaders(b.t, resp)
	assertNoCanary(b.t, "page", string(body))
	return resp, string(body)
}

func (b *browserRun) wait() (*oauth2.Token, error) {
	b.t.Helper()
	select {
	case <-b.done:
	case <-time.After(10 * time.Second):
		b.t.Fatal("flow did not end")
	}
	if b.err != nil {
		assertNoCanary(b.t, "error", b.err.Error())
	}
	return b.tok, b.err
}

func (b *browserRun) running() bool {
	select {
	case <-b.done:
		return false
	default:
		return true
	}
}

// succeed completes the login the way a real browser would: callback, 303,
// success page.
func (b *browserRun) succeed() *oauth2.Token {
	b.t.Helper()
	resp, _ := b.do("GET", b.callbackURL(url.Values{"code": {"the-code"}, "iss": {testIssuer}}), "")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/done" {
		b.t.Fatalf("callback: %d Location %q, want 303 to /done", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := b.do("GET", b.donePage(), "")
	if resp.StatusCode != 200 || !strings.Contains(body, "Login complete") || !strings.Contains(body, "close this tab") ||
		!strings.Contains(body, "<code>dex:&lt;b&gt;work&lt;/b&gt;</code>") {
		b.t.Fatalf("success page: %d %q", resp.StatusCode, body)
	}
	tok, err := b.wait()
	if err != nil {
		b.t.Fatalf("Browser: %v", err)
	}
	return tok
}

func assertSecurityHeaders(t *testing.T, resp *http.Response) {
	t.Helper()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'none'; style-src 'sha256-") {
		t.Errorf("%s %s: Content-Security-Policy %q", resp.Request.Method, resp.Request.URL.Path, csp)
	}
	want := map[string]string{
		"Content-Security-Policy": contentSecurityPolicy,
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"Cache-Control":           "no-store",
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s %s: header %s = %q, want %q", resp.Request.Method, resp.Request.URL.Path, k, got, v)
		}
	}
}

var redirectRE = regexp.MustCompile(`^http://127\.0\.0\.1:[0-9]+/callback$`)

func TestBrowserSuccess(t *testing.T) {
	p := newProvider(t, jsonReply(200, goodToken))
	b := startBrowser(t, p, nil)

	redirect := b.redirectURI()
	if !redirectRE.MatchString(redirect) {
		t.Fatalf("redirect_uri = %q", redirect)
	}
	state, challenge := b.auth.Get("state"), b.auth.Get("code_challenge")
	if len(state) < 43 {
		t.Errorf("state %q is too short to hold 32 random bytes", state)
	}
	assertForm(t, "authorization request", b.auth, url.Values{
		"response_type": {"code"}, "client_id": {"tok-client"}, "redirect_uri": {redirect},
		"scope": {"openid email"}, "state": {state}, "code_challenge": {challenge},
		"code_challenge_method": {"S256"}, "prompt": {"consent"},
	})
	wantOut := "Opening your browser to log in. If it does not open, visit:\n  " + b.authURL + "\n" +
		"tok: waiting for the browser; Ctrl-C to cancel\n"
	if got := b.stderr.String(); got != wantOut {
		t.Errorf("stderr = %q, want %q", got, wantOut)
	}

	tok := b.succeed()
	if tok.AccessToken != "at-1" || tok.RefreshToken != "rt-1" {
		t.Errorf("token = %+v", tok)
	}
	forms := p.forms()
	if len(forms) != 1 {
		t.Fatalf("%d token requests, want 1", len(forms))
	}
	verifier := forms[0].Get("code_verifier")
	if oauth2.S256ChallengeFromVerifier(verifier) != challenge {
		t.Errorf("code_verifier does not match the S256 code_challenge")
	}
	assertForm(t, "token request", forms[0], url.Values{
		"grant_type": {"authorization_code"}, "code": {"the-code"}, "redirect_uri": {redirect},
		"code_verifier": {verifier}, "client_id": {"tok-client"}, "client_secret": {canary},
		"resource": {"https://api.example"},
	})
	if _, err := http.Get(redirect); err == nil {
		t.Error("the redirect listener is still up after the flow ended")
	}
}

// Callbacks that are not for this login are refused and the flow keeps
// waiting for the real one.
func TestBrowserRefusesAndKeepsWaiting(t *testing.T) {
	tests := []struct {
		name, method, path, host string
		query                    url.Values
		status                   int
		noted                    bool // one line on stderr says a callback was refused
	}{
		{"wrong state", "GET", "/callback", "", url.Values{"code": {canary}, "state": {"forged-" + canary}}, 400, true},
		{"missing state", "GET", "/callback", "", url.Values{"code": {canary}, "state": nil}, 400, true},
		{"empty state", "GET", "/callback", "", url.Values{"code": {canary}, "state": {""}}, 400, true},
		{"foreign host", "GET", "/callback", "evil.example", url.Values{"code": {canary}}, 400, false},
		{"localhost host", "GET", "/callback", "localhost:PORT", url.Values{"code": {canary}}, 400, false},
		{"other path", "GET", "/callback/" + canary, "", url.Values{"code": {canary}}, 404, false},
		{"post", "POST", "/callback", "", url.Values{"code": {canary}}, 405, false},
		{"done before login", "GET", "/done", "", url.Values{}, 404, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t, jsonReply(200, goodToken))
			b := startBrowser(t, p, nil)
			base := strings.TrimSuffix(b.redirectURI(), "/callback")
			q := tt.query
			if s, ok := q["state"]; ok && s == nil {
				delete(q, "state")
			} else if !ok {
				q.Set("state", b.auth.Get("state"))
			}
			host := strings.Replace(tt.host, "PORT", b.redirectURI()[len("http://127.0.0.1:"):len(base)], 1)
			resp, body := b.do(tt.method, base+tt.path+"?"+q.Encode(), host)
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d (%q)", resp.StatusCode, tt.status, body)
			}
			if len(p.forms()) != 0 {
				t.Error("a refused callback reached the token endpoint")
			}
			if !b.running() {
				t.Fatalf("flow ended on a refused callback: %v", b.err)
			}
			notes := strings.Count(b.stderr.String(), "tok: refused a browser callback")
			if want := map[bool]int{true: 1, false: 0}[tt.noted]; notes != want {
				t.Errorf("%d refusal notes on stderr, want %d: %q", notes, want, b.stderr.String())
			}
			assertNoCanary(t, "stderr", b.stderr.String())
			b.succeed()
		})
	}
}

// Callbacks with the right state that are still no good end the flow.
func TestBrowserCallbackEndsFlow(t *testing.T) {
	tests := []struct {
		name     string
		mod      func(*Request)
		query    url.Values
		wantErr  string
		sentence string // on the failure page
	}{
		{"provider error", nil,
			url.Values{"error": {"access_denied"}, "error_description": {"user said no"}, "error_uri": {"https://x/" + canary}, "iss": {testIssuer}},
			"provider refused the login: access_denied (user said no)", failureSentences["access_denied"]},
		{"provider error cleaned", nil,
			url.Values{"error": {"access_denied"}, "error_description": {"no\x1b[31m\nway"}},
			"provider refused the login: access_denied (no[31mway)", failureSentences["access_denied"]},
		{"oidc error", nil,
			url.Values{"error": {"login_required"}, "error_description": {"<i>provider words</i>"}},
			"provider refused the login: login_required (<i>provider words</i>)", failureSentences["login_required"]},
		{"unknown error code", nil,
			url.Values{"error": {"<i>provider_code</i>"}},
			"provider refused the login: <i>provider_code</i>", sentenceUnknownCode},
		{"iss mismatch", nil,
			url.Values{"code": {canary}, "iss": {"https://evil.example"}},
			`the login redirect names issuer "https://evil.example", not "https://issuer.example": refused as a possible mix-up attack`, sentenceMixUp},
		{"iss mismatch on error", nil,
			url.Values{"error": {"access_denied"}, "iss": {"https://evil.example"}},
			"possible mix-up attack", sentenceMixUp},
		{"required iss missing", func(r *Request) { r.RequireIss = true },
			url.Values{"code": {canary}},
			"the login redirect has no iss parameter although the provider promises one", sentenceMixUp},
		{"neither code nor error", nil,
			url.Values{"iss": {testIssuer}},
			"the login redirect carries neither a code nor an error", sentenceOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t, jsonReply(200, goodToken))
			b := startBrowser(t, p, tt.mod)
			b.fail(tt.query, tt.sentence)
			_, err := b.wait()
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			if len(p.forms()) != 0 {
				t.Error("the code was exchanged")
			}
		})
	}
}

func TestBrowserIssuer(t *testing.T) {
	tests := []struct {
		name  string
		mod   func(*Request)
		query url.Values
	}{
		{"matching iss", func(r *Request) { r.RequireIss = true }, url.Values{"iss": {testIssuer}}},
		{"iss not checked without issuer", func(r *Request) { r.Issuer = "" }, url.Values{"iss": {"https://other.example"}}},
		{"iss optional", nil, url.Values{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t, jsonReply(200, goodToken))
			b := startBrowser(t, p, tt.mod)
			tt.query.Set("code", "c")
			resp, _ := b.do("GET", b.callbackURL(tt.query), "")
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("status %d, want 303", resp.StatusCode)
			}
			b.do("GET", strings.TrimSuffix(b.redirectURI(), "/callback")+"/done", "")
			if _, err := b.wait(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestBrowserExchangeFails(t *testing.T) {
	tests := []struct {
		name     string
		reply    reply
		wantErr  string
		sentence string
	}{
		{"refused", jsonReply(400, `{"error":"invalid_grant","error_description":"code expired","debug":"`+canary+`"}`),
			"token endpoint refused the request: invalid_grant (code expired)", sentenceExchange},
		{"html", reply{502, "text/html; charset=utf-8", "<html>" + canary + "</html>", ""},
			"token endpoint returned an unexpected response (HTTP 502, text/html)", sentenceExchange},
		{"html 200", reply{200, "text/html", "<html>" + canary + "</html>", ""},
			"token endpoint returned an unexpected response", sentenceExchange},
		{"not bearer", jsonReply(200, `{"access_token":"`+canary+`","token_type":"mac"}`),
			"token endpoint returned token_type mac, tok only handles Bearer", sentenceOther},
		{"no access token", jsonReply(200, `{"token_type":"Bearer","refresh_token":"`+canary+`"}`),
			"token endpoint returned no access_token", sentenceOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t, tt.reply)
			b := startBrowser(t, p, nil)
			b.fail(url.Values{"code": {testCode}}, tt.sentence)
			_, err := b.wait()
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestBrowserPastedRedirect(t *testing.T) {
	p := newProvider(t, jsonReply(200, goodToken))
	in, paste := io.Pipe()
	defer paste.Close()
	b := startBrowser(t, p, func(r *Request) {
		r.NoBrowser = true
		r.Stdin = in
		r.OpenBrowser = func(string) (<-chan error, error) { t.Error("opened a browser with NoBrowser"); return nil, nil }
	})
	if out := b.stderr.String(); strings.Contains(out, "Opening your browser") {
		t.Errorf("stderr = %q", out)
	}
	pastes := []struct{ line, warning string }{
		{"hello", "not the redirect address"},
		{"http://127.0.0.1:1/callback?code=x&state=" + b.auth.Get("state"), "not the redirect address"},
		{b.redirectURI() + "?code=" + canary + "&state=forged", "ignoring the pasted address: the redirect's state does not belong to this login"},
	}
	for _, p := range pastes {
		io.WriteString(paste, p.line+"\n")
		waitFor(t, "warning "+p.warning, func() bool { return strings.Contains(b.stderr.String(), p.warning) })
		if !b.running() {
			t.Fatalf("flow ended on bad paste %q: %v", p.line, b.err)
		}
	}
	io.WriteString(paste, "  "+b.callbackURL(url.Values{"code": {"pasted-code"}, "iss": {testIssuer}})+"  \n")
	tok, err := b.wait()
	if err != nil || tok.AccessToken != "at-1" {
		t.Fatalf("Browser = %v, %v", tok, err)
	}
	if forms := p.forms(); len(forms) != 1 || forms[0].Get("code") != "pasted-code" || forms[0].Get("redirect_uri") != b.redirectURI() {
		t.Errorf("token requests = %v", forms)
	}
	assertNoCanary(t, "stderr", b.stderr.String())
}

func TestBrowserPastedError(t *testing.T) {
	p := newProvider(t, jsonReply(200, goodToken))
	in, paste := io.Pipe()
	defer paste.Close()
	b := startBrowser(t, p, func(r *Request) { r.NoBrowser = true; r.Stdin = in })
	io.WriteString(paste, b.callbackURL(url.Values{"code": {testCode}, "iss": {"https://evil.example"}})+"\n")
	if _, err := b.wait(); err == nil || !strings.Contains(err.Error(), "mix-up") {
		t.Fatalf("err = %v", err)
	}
}

func TestBrowserOpenerFails(t *testing.T) {
	p := newProvider(t, jsonReply(200, goodToken))
	b := startBrowser(t, p, func(r *Request) {
		open := r.OpenBrowser
		r.OpenBrowser = func(u string) (<-chan error, error) { open(u); return nil, errors.New("no display") }
	})
	b.succeed()
	if !strings.Contains(b.stderr.String(), "tok: warning: could not open a browser: no display; open the URL above yourself\n") {
		t.Errorf("stderr = %q", b.stderr.String())
	}
}

func TestBrowserFixedPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	p := newProvider(t, jsonReply(200, goodToken))
	r := baseRequest(p, io.Discard)
	r.RedirectPort = port

	_, err = Browser(context.Background(), r) // port still held
	want := "redirect port " + strconv.Itoa(port) + " is in use: "
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("err = %v, want prefix %q", err, want)
	}
	if h := tokerr.HintOf(err); !strings.Contains(h, "redirect_port: 0") {
		t.Errorf("hint = %q", h)
	}

	ln.Close()
	b := startBrowser(t, p, func(r *Request) { r.RedirectPort = port })
	if want := "http://127.0.0.1:" + strconv.Itoa(port) + "/callback"; b.redirectURI() != want {
		t.Errorf("redirect_uri = %q, want %q", b.redirectURI(), want)
	}
	b.succeed()
}

func TestBrowserContextEnds(t *testing.T) {
	p := newProvider(t)
	urls := make(chan string, 1)
	r := baseRequest(p, io.Discard)
	r.OpenBrowser = func(u string) (<-chan error, error) { urls <- u; return nil, nil }
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := Browser(ctx, r)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline", err)
	}
	u, _ := url.Parse(<-urls)
	if _, err := http.Get(u.Query().Get("redirect_uri")); err == nil {
		t.Error("the redirect listener is still up after the flow ended")
	}
}

func TestBrowserReservedParams(t *testing.T) {
	p := newProvider(t)
	for _, mod := range []func(*Request){
		func(r *Request) { r.AuthParams = map[string]string{"state": "fixed"} },
		func(r *Request) { r.AuthParams = map[string]string{"Code_Challenge_Method": "plain"} },
		func(r *Request) { r.TokenParams = map[string]string{"code_verifier": "x"} },
	} {
		r := baseRequest(p, io.Discard)
		mod(&r)
		if _, err := Browser(context.Background(), r); err == nil || !strings.Contains(err.Error(), "tok sets it itself") {
			t.Errorf("err = %v", err)
		}
	}
}
