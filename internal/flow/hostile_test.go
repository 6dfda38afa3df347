package flow

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// hostileReplies are token endpoint answers a real server will not give.
// Each must end the login with one clear line that holds nothing of the
// body but the RFC 6749 §5.2 error code and a cleaned description.
var hostileReplies = []struct {
	name    string
	reply   reply
	wantErr string // "" = the login succeeds
	// deviceErr, when set, is what the device flow's own poll parser
	// says instead: it reads non-string fields as absent.
	deviceErr string
}{
	{"text not json", reply{200, "text/plain", "hello " + canary, ""},
		"token endpoint returned no access_token", ""},
	{"garbage json", jsonReply(200, `{"access_token":`+canary),
		"token endpoint returned an unexpected response", ""},
	{"html error page", reply{500, "text/html", "<html><body>" + canary + "</body></html>", ""},
		// The device flow waits out a busy server until the code expires.
		"token endpoint returned an unexpected response (HTTP 500, text/html)", errDeviceExpired.Error()},
	{"html 200", reply{200, "text/html; charset=utf-8", "<!doctype html><p>" + canary, ""},
		"token endpoint returned an unexpected response", ""},
	{"over 1 MiB", jsonReply(200, `{"access_token":"`+strings.Repeat("a", 1<<20)+`","debug":"`+canary+`"}`),
		"token endpoint returned an unexpected response", ""},
	{"error over 1 MiB", jsonReply(400, `{"error":"invalid_grant","pad":"`+strings.Repeat(canary, 1<<16)+`"}`),
		"token endpoint returned an unexpected response (HTTP 400, application/json)", ""},
	{"error inside 200", jsonReply(200, `{"error":"invalid_grant","access_token":"`+canary+`"}`),
		"token endpoint refused the request: invalid_grant", ""},
	{"error code with escapes", jsonReply(400, `{"error":"bad\u001b[2J\nline","error_description":"`+strings.Repeat("d", 500)+`"}`),
		"token endpoint refused the request: bad[2Jline (" + strings.Repeat("d", maxDescription) + "...)", ""},
	{"no access_token", jsonReply(200, `{"token_type":"Bearer","refresh_token":"`+canary+`"}`),
		"token endpoint returned no access_token", ""},
	{"null access_token", jsonReply(200, `{"access_token":null,"refresh_token":"`+canary+`"}`),
		"token endpoint returned no access_token", ""},
	{"numeric access_token", jsonReply(200, `{"access_token":12345,"refresh_token":"`+canary+`"}`),
		"token endpoint returned an unexpected response", "token endpoint returned no access_token"},
	{"object access_token", jsonReply(200, `{"access_token":{"v":"`+canary+`"}}`),
		"token endpoint returned an unexpected response", "token endpoint returned no access_token"},
	{"mac token", jsonReply(200, `{"access_token":"`+canary+`","token_type":"mac"}`),
		"token endpoint returned token_type mac, tok only handles Bearer", ""},
	{"dpop token", jsonReply(200, `{"access_token":"`+canary+`","token_type":"DPoP"}`),
		"token endpoint returned token_type DPoP, tok only handles Bearer", ""},
	// The token_type is shown only when it looks like a registered
	// name and is none of the request's or the answer's secrets.
	{"token_type is the access token", jsonReply(200, `{"access_token":"`+canary+`","token_type":"`+canary+`"}`),
		"token endpoint returned an unknown token type, tok only handles Bearer", ""},
	{"token_type is the refresh token", jsonReply(200, `{"access_token":"at","refresh_token":"`+canary+`","token_type":"`+canary+`"}`),
		"token endpoint returned an unknown token type, tok only handles Bearer", ""},
	{"token_type is the code", jsonReply(200, `{"access_token":"at","token_type":"`+testCode+`"}`),
		"token endpoint returned an unknown token type, tok only handles Bearer", "token endpoint returned token_type " + testCode + ", tok only handles Bearer"},
	{"token_type is not a name", jsonReply(200, `{"access_token":"at","token_type":"Bearer `+canary+`"}`),
		"token endpoint returned an unknown token type, tok only handles Bearer", ""},
	{"token_type too long for a name", jsonReply(200, `{"access_token":"at","token_type":"`+strings.Repeat("x", 33)+`"}`),
		"token endpoint returned an unknown token type, tok only handles Bearer", ""},
	{"negative expires_in", jsonReply(200, `{"access_token":"`+canary+`","token_type":"Bearer","expires_in":-60}`),
		"token endpoint returned a negative expires_in", ""},
	{"negative expires_in as string", reply{200, "application/x-www-form-urlencoded", "access_token=" + canary + "&token_type=bearer&expires_in=-1", ""},
		"token endpoint returned a negative expires_in", ""},
	{"non-numeric expires_in", jsonReply(200, `{"access_token":"`+canary+`","expires_in":"soon"}`),
		"token endpoint returned an unexpected response", "-"},
	// Legal or tolerated: RFC 6749 §5.1 makes expires_in optional and
	// x/oauth2 reads 0 as absent; huge values are capped, not refused.
	{"absent expires_in", jsonReply(200, `{"access_token":"at","token_type":"bearer"}`), "", ""},
	{"zero expires_in", jsonReply(200, `{"access_token":"at","token_type":"Bearer","expires_in":0}`), "", ""},
	{"huge expires_in", jsonReply(200, `{"access_token":"at","token_type":"Bearer","expires_in":99999999999999}`), "", ""},
	{"float expires_in", jsonReply(200, `{"access_token":"`+canary+`","token_type":"Bearer","expires_in":1e300}`),
		"token endpoint returned an unexpected response", "-"},
	{"access_token with a newline", jsonReply(200, `{"access_token":"a\r\nX-Injected: `+canary+`"}`),
		"token endpoint returned an access_token with characters a Bearer token cannot hold", ""},
	{"access_token with a space", jsonReply(200, `{"access_token":"a b"}`),
		"token endpoint returned an access_token with characters a Bearer token cannot hold", ""},
	{"access_token not utf-8", reply{200, "application/x-www-form-urlencoded", "access_token=%CF", ""},
		"token endpoint returned an access_token with characters a Bearer token cannot hold", ""},
	{"refresh_token with a newline", jsonReply(200, `{"access_token":"a","refresh_token":"r\n`+canary+`"}`),
		"token endpoint returned a refresh_token with characters a token cannot hold", ""},
	{"absent token_type", jsonReply(200, `{"access_token":"at"}`), "", ""},
}

func TestBrowserExchangeHostile(t *testing.T) {
	for _, tt := range hostileReplies {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t, tt.reply)
			b := startBrowser(t, p, nil)
			resp, _ := b.do("GET", b.callbackURL(url.Values{"code": {testCode}}), "")
			if resp.StatusCode == http.StatusSeeOther {
				b.do("GET", strings.TrimSuffix(b.redirectURI(), "/callback")+"/done", "")
			}
			_, err := b.wait()
			checkHostile(t, err, tt.wantErr)
		})
	}
}

func TestDeviceHostile(t *testing.T) {
	for _, tt := range hostileReplies {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t, tt.reply)
			p.deviceReply = jsonReply(200, withInterval("1"))
			clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
			r := baseRequest(p, io.Discard)
			r.now, r.sleep = clock.Now, clock.Sleep
			_, err := Device(context.Background(), r)
			want := tt.wantErr
			switch tt.deviceErr {
			case "":
			case "-":
				want = ""
			default:
				want = tt.deviceErr
			}
			checkHostile(t, err, want)
		})
	}
}

func checkHostile(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("err = %v, want success", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("succeeded, want %q", want)
	}
	msg := err.Error()
	// The device poll parser adds status and media type to what it
	// cannot read.
	if msg != want && !strings.HasPrefix(msg, want+" (HTTP ") {
		t.Errorf("err = %q\nwant  %q", msg, want)
	}
	assertNoCanary(t, "error", msg)
	if strings.ContainsAny(msg, "\n\r\x1b") {
		t.Errorf("error is not one clean line: %q", msg)
	}
}

// A device authorization endpoint that misbehaves ends the login before
// anything is shown or polled.
func TestDeviceAuthorizationHostile(t *testing.T) {
	tests := []struct {
		name    string
		reply   reply
		wantErr string
	}{
		{"html", reply{502, "text/html", "<p>" + canary, ""}, "device authorization endpoint returned an unexpected response (HTTP 502, text/html)"},
		{"not json", reply{200, "application/json", "{" + canary, ""}, "device authorization endpoint returned an unexpected response"},
		{"refused", jsonReply(400, `{"error":"invalid_client","x":"`+canary+`"}`), "device authorization endpoint refused the request: invalid_client"},
		{"no device code", jsonReply(200, `{"user_code":"U","verification_uri":"https://x"}`), "device authorization endpoint returned no device_code, user_code or verification_uri"},
		{"over 1 MiB", jsonReply(200, `{"device_code":"`+strings.Repeat(canary, 1<<16)+`"}`), "device authorization endpoint returned an unexpected response"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t)
			p.deviceReply = tt.reply
			var stderr syncBuffer
			r := baseRequest(p, &stderr)
			_, err := Device(context.Background(), r)
			checkHostile(t, err, tt.wantErr)
			assertNoCanary(t, "stderr", stderr.String())
			if len(p.forms()) != 0 {
				t.Error("polled the token endpoint")
			}
		})
	}
}

// A token endpoint that never answers is cut off by the HTTP client's
// timeout, with a message that says so rather than "login timed out".
func TestExchangeServerNeverAnswers(t *testing.T) {
	hang := make(chan struct{})
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-hang
	}))
	defer silent.Close()
	defer close(hang) // before Close, which waits for the handler
	p := newProvider(t)
	b := startBrowser(t, p, func(r *Request) {
		r.OAuth.Endpoint.TokenURL = silent.URL + "/token"
		r.HTTPClient = &http.Client{Timeout: 100 * time.Millisecond}
	})
	b.do("GET", b.callbackURL(url.Values{"code": {canary}}), "")
	_, err := b.wait()
	if err == nil || err.Error() != "token endpoint did not answer in time" {
		t.Fatalf("err = %v", err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Error("a slow server reads as the login's own --timeout")
	}
}

// A provider that echoes what tok sent in its refusal makes no secret of
// the request reach the error tok prints (README "Promises"): the code and
// verifier of a code exchange, the device_code of a poll, the client's
// secret everywhere, as sent and URL-encoded.
func TestProviderEchoesSecrets(t *testing.T) {
	const secret = canary + "/+= x" // its URL encoding differs
	echoAll := func(fields ...string) string {
		var d []string
		for _, f := range fields {
			d = append(d, "{{"+f+"}}", "{{"+f+"%}}")
		}
		return `{"error":"{{` + fields[0] + `}}","error_description":"` + strings.Join(d, " ") + `"}`
	}
	tests := []struct {
		name string
		run  func(t *testing.T, p *provider, r Request) error
	}{
		{"code exchange", func(t *testing.T, p *provider, r Request) error {
			p.tokenReply = []reply{jsonReply(400, echoAll("code", "code_verifier", "client_secret"))}
			b := startBrowser(t, p, func(br *Request) { br.OAuth.ClientSecret = secret })
			if resp, _ := b.do("GET", b.callbackURL(url.Values{"code": {testCode}}), ""); resp.StatusCode == http.StatusSeeOther {
				b.do("GET", strings.TrimSuffix(b.redirectURI(), "/callback")+"/done", "")
			}
			_, err := b.wait()
			return err
		}},
		{"device authorization", func(t *testing.T, p *provider, r Request) error {
			p.deviceReply = jsonReply(400, echoAll("client_secret"))
			_, err := Device(context.Background(), r)
			return err
		}},
		{"device poll", func(t *testing.T, p *provider, r Request) error {
			p.deviceReply = jsonReply(200, withInterval("1"))
			p.tokenReply = []reply{jsonReply(400, echoAll("device_code", "client_secret"))}
			_, err := Device(context.Background(), r)
			return err
		}},
		{"client credentials in the form", func(t *testing.T, p *provider, r Request) error {
			p.tokenReply = []reply{jsonReply(401, echoAll("client_secret"))}
			_, err := ClientCredentials(context.Background(), r)
			return err
		}},
		{"client credentials with Basic", func(t *testing.T, p *provider, r Request) error {
			p.tokenReply = []reply{jsonReply(401, `{"error":"invalid_client","error_description":"Basic {{authorization}}"}`)}
			r.OAuth.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
			_, err := ClientCredentials(context.Background(), r)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t)
			var stderr syncBuffer
			r := baseRequest(p, &stderr)
			r.OAuth.ClientSecret = secret
			clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
			r.now, r.sleep = clock.Now, clock.Sleep
			err := tt.run(t, p, r)
			if err == nil {
				t.Fatal("succeeded")
			}
			msg := err.Error()
			if !strings.Contains(msg, "[redacted]") {
				t.Errorf("err = %q: the echo did not reach the message, the test proves nothing", msg)
			}
			p.mu.Lock()
			sent := append(append([]url.Values(nil), p.tokenForms...), p.deviceForms...)
			auth := append(append([]string(nil), p.tokenAuth...), p.deviceAuth...)
			p.mu.Unlock()
			var secrets []string
			for _, f := range sent {
				for _, k := range []string{"code", "code_verifier", "device_code", "client_secret"} {
					if v := f.Get(k); v != "" {
						secrets = append(secrets, v, url.QueryEscape(v))
					}
				}
			}
			for _, a := range auth {
				if a != "" {
					secrets = append(secrets, strings.TrimPrefix(a, "Basic "))
				}
			}
			if len(secrets) == 0 {
				t.Fatal("the request carried no secret")
			}
			for _, s := range secrets {
				if strings.Contains(msg, s) || strings.Contains(stderr.String(), s) {
					t.Errorf("err = %q\nshows %q", msg, s)
				}
			}
		})
	}
}
