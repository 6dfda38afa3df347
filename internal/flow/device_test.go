package flow

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

const deviceAuthReply = `{"device_code":"dc-1","user_code":"WDJB-MJHT","verification_uri":"https://example.com/device",
	"verification_uri_complete":"https://example.com/device?user_code=WDJB-MJHT","expires_in":600%s}`

func withInterval(s string) string { return strings.Replace(deviceAuthReply, "%s", s, 1) }

func TestDevice(t *testing.T) {
	pending := jsonReply(400, `{"error":"authorization_pending"}`)
	slow := jsonReply(400, `{"error":"slow_down"}`)
	s := time.Second
	tests := []struct {
		name       string
		authReply  string
		replies    []reply
		failPolls  map[int]bool // token requests (1-based) that lose their connection
		wantErr    string
		wantSleeps []time.Duration
		wantPolls  int
	}{
		{"pending then success", withInterval(`,"interval":3`),
			[]reply{pending, pending, jsonReply(200, goodToken)}, nil, "", []time.Duration{3 * s, 3 * s, 3 * s}, 3},
		{"default interval", withInterval(""),
			[]reply{pending, jsonReply(200, goodToken)}, nil, "", []time.Duration{5 * s, 5 * s}, 2},
		{"slow_down adds 5s for good", withInterval(`,"interval":5`),
			[]reply{slow, pending, slow, jsonReply(200, goodToken)}, nil, "", []time.Duration{5 * s, 10 * s, 10 * s, 15 * s}, 4},
		{"pending as 200 and form-encoded", withInterval(`,"interval":1`),
			[]reply{{200, "application/x-www-form-urlencoded", "error=authorization_pending", ""},
				{200, "application/x-www-form-urlencoded", "access_token=at-1&token_type=bearer&scope=repo", ""}},
			nil, "", []time.Duration{s, s}, 2},
		{"access_denied", withInterval(`,"interval":2`),
			[]reply{pending, jsonReply(400, `{"error":"access_denied","error_description":"`+canary+`"}`)},
			nil, "login was denied at the provider", []time.Duration{2 * s, 2 * s}, 2},
		{"expired_token", withInterval(`,"interval":2`),
			[]reply{jsonReply(400, `{"error":"expired_token"}`)},
			nil, "the device code expired before it was approved: run tok login again", []time.Duration{2 * s}, 1},
		{"expiry passes while pending", `{"device_code":"dc-1","user_code":"U","verification_uri":"https://e/d","expires_in":10,"interval":5}`,
			[]reply{pending}, nil, "the device code expired before it was approved: run tok login again",
			[]time.Duration{5 * s, 5 * s}, 1},
		{"network errors back off, then success", withInterval(`,"interval":5`),
			[]reply{pending, jsonReply(200, goodToken)}, map[int]bool{2: true, 3: true}, "",
			[]time.Duration{5 * s, 5 * s, 10 * s, 20 * s}, 2},
		{"network down for good", withInterval(`,"interval":1`),
			[]reply{pending}, map[int]bool{2: true, 3: true, 4: true, 5: true, 6: true, 7: true},
			"cannot reach the token endpoint", []time.Duration{s, s, 2 * s, 4 * s, 8 * s, 16 * s, 32 * s}, 1},
		{"other error", withInterval(`,"interval":1`),
			[]reply{jsonReply(401, `{"error":"invalid_client","error_description":"unknown client","x":"`+canary+`"}`)},
			nil, "token endpoint refused the request: invalid_client (unknown client)", []time.Duration{s}, 1},
		{"not bearer", withInterval(`,"interval":1`),
			[]reply{jsonReply(200, `{"access_token":"`+canary+`","token_type":"DPoP"}`)},
			nil, "token endpoint returned token_type DPoP, tok only handles Bearer", []time.Duration{s}, 1},
		// A busy server is waited out (issue: rate-limited device flow):
		// Retry-After when it says one, capped at a minute, else as for
		// slow_down; JSON or a gateway's HTML page alike.
		{"429 temporarily_unavailable with Retry-After", withInterval(`,"interval":1`),
			[]reply{{429, "application/json", `{"error":"temporarily_unavailable"}`, "2"}, jsonReply(200, goodToken)},
			nil, "", []time.Duration{s, 2 * s}, 2},
		{"429 html page", withInterval(`,"interval":1`),
			[]reply{{429, "text/html", "<p>" + canary, ""}, jsonReply(200, goodToken)},
			nil, "", []time.Duration{s, 6 * s}, 2},
		{"503 gateway page, Retry-After as a date, then pending", withInterval(`,"interval":1`),
			[]reply{{503, "text/html", "<p>" + canary, time.Date(2030, 1, 1, 0, 0, 31, 0, time.UTC).Format(http.TimeFormat)},
				pending, jsonReply(200, goodToken)},
			nil, "", []time.Duration{s, 30 * s, s}, 3},
		{"Retry-After capped at a minute", withInterval(`,"interval":1`),
			[]reply{{503, "application/json", `{"error":"server_error"}`, "86400"}, jsonReply(200, goodToken)},
			nil, "", []time.Duration{s, time.Minute}, 2},
		{"busy until the code expires", `{"device_code":"dc-1","user_code":"U","verification_uri":"https://e/d","expires_in":20,"interval":5}`,
			[]reply{{503, "text/html", "<p>" + canary, ""}},
			nil, "the device code expired before it was approved: run tok login again", []time.Duration{5 * s, 10 * s, 15 * s}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t, tt.replies...)
			p.deviceReply = jsonReply(200, tt.authReply)
			stderr := &syncBuffer{}
			clock := &fakeClock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
			r := Request{
				OAuth: oauth2.Config{ClientID: "tok-tv", Endpoint: p.endpoint(), Scopes: []string{"openid", "offline_access"}},
				// prompt only fits the browser flow; resource fits both.
				AuthParams:  map[string]string{"prompt": "consent", "resource": "https://api.example"},
				TokenParams: map[string]string{"resource": "https://api.example"},
				DisplayCode: printCode(stderr),
				// Device authorization goes over the first request; token polls follow.
				HTTPClient: &http.Client{Transport: &failingTransport{fail: shift(tt.failPolls)}},
				now:        clock.Now,
				sleep:      clock.Sleep,
			}
			tok, err := Device(context.Background(), r)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Device: %v", err)
				}
				if tok.AccessToken != "at-1" {
					t.Errorf("token = %+v", tok)
				}
			} else {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				assertNoCanary(t, "error", err.Error())
			}
			if !reflect.DeepEqual(clock.sleeps, tt.wantSleeps) {
				t.Errorf("sleeps = %v, want %v", clock.sleeps, tt.wantSleeps)
			}
			assertForm(t, "device authorization", p.deviceForms[0], url.Values{
				"client_id": {"tok-tv"}, "scope": {"openid offline_access"}, "resource": {"https://api.example"}})
			forms := p.forms()
			if len(forms) != tt.wantPolls {
				t.Errorf("%d token polls reached the server, want %d", len(forms), tt.wantPolls)
			}
			for _, f := range forms {
				assertForm(t, "device token request", f, url.Values{
					"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {"dc-1"},
					"client_id": {"tok-tv"}, "resource": {"https://api.example"}})
			}
			if out := stderr.String(); !strings.HasPrefix(out, "To log in, visit https://") ||
				!strings.Contains(out, " and enter the code: ") {
				t.Errorf("stderr = %q", out)
			}
		})
	}
}

// shift renumbers token polls to transport requests: request 1 is the
// device authorization.
func shift(polls map[int]bool) map[int]bool {
	m := map[int]bool{}
	for n := range polls {
		m[n+1] = true
	}
	return m
}

func TestDeviceOutput(t *testing.T) {
	p := newProvider(t, jsonReply(200, goodToken))
	p.deviceReply = jsonReply(200, withInterval(`,"interval":1`))
	stderr := &syncBuffer{}
	clock := &fakeClock{}
	r := Request{OAuth: oauth2.Config{ClientID: "c", Endpoint: p.endpoint()}, DisplayCode: printCode(stderr),
		HTTPClient: p.srv.Client(), now: clock.Now, sleep: clock.Sleep}
	if _, err := Device(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	want := "To log in, visit https://example.com/device and enter the code: WDJB-MJHT\n" +
		"Or open: https://example.com/device?user_code=WDJB-MJHT\n"
	if stderr.String() != want {
		t.Errorf("stderr = %q, want %q", stderr.String(), want)
	}
}

func TestDeviceConfidentialClient(t *testing.T) {
	p := newProvider(t, jsonReply(200, goodToken))
	p.deviceReply = jsonReply(200, withInterval(`,"interval":1`))
	clock := &fakeClock{}
	ep := p.endpoint()
	ep.AuthStyle = oauth2.AuthStyleInHeader
	r := Request{OAuth: oauth2.Config{ClientID: "c id", ClientSecret: canary, Endpoint: ep},
		HTTPClient: p.srv.Client(), now: clock.Now, sleep: clock.Sleep}
	if _, err := Device(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "/", nil)
	req.SetBasicAuth("c+id", canary)
	if got := p.tokenAuth[0]; got != req.Header.Get("Authorization") {
		t.Errorf("Authorization = %q, want Basic with the form-encoded id and secret", got)
	}
	if p.forms()[0].Has("client_secret") {
		t.Error("client_secret sent in the body as well as the header")
	}
}

func TestDeviceFails(t *testing.T) {
	tests := []struct {
		name    string
		mod     func(*Request, *provider)
		wantErr string
	}{
		{"no device endpoint", func(r *Request, _ *provider) { r.OAuth.Endpoint.DeviceAuthURL = "" },
			"provider has no device authorization endpoint"},
		{"device endpoint refuses", func(_ *Request, p *provider) {
			p.deviceReply = jsonReply(400, `{"error":"unauthorized_client","error_description":"no device grant","x":"`+canary+`"}`)
		}, "device authorization endpoint refused the request: unauthorized_client (no device grant)"},
		{"device endpoint html", func(_ *Request, p *provider) {
			p.deviceReply = reply{404, "text/html", canary, ""}
		}, "device authorization endpoint returned an unexpected response (HTTP 404, text/html)"},
		{"incomplete answer", func(_ *Request, p *provider) {
			p.deviceReply = jsonReply(200, `{"device_code":"`+canary+`"}`)
		}, "device authorization endpoint returned no device_code, user_code or verification_uri"},
		{"cancelled", func(r *Request, _ *provider) {
			r.sleep = func(context.Context, time.Duration) error { return context.Canceled }
		}, "login did not finish: context canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t, jsonReply(400, `{"error":"authorization_pending"}`))
			p.deviceReply = jsonReply(200, withInterval(""))
			clock := &fakeClock{}
			r := Request{OAuth: oauth2.Config{ClientID: "c", Endpoint: p.endpoint()},
				HTTPClient: p.srv.Client(), now: clock.Now, sleep: clock.Sleep}
			tt.mod(&r, p)
			_, err := Device(context.Background(), r)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			assertNoCanary(t, "error", err.Error())
		})
	}
}

func TestDeviceRealSleepHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := sleepCtx(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("sleepCtx = %v", err)
	}
}

// A confidential client authenticates on the device authorization request
// and on every poll the same way (RFC 8628 §3.1, RFC 6749 §2.3.1), with a
// secret holding + / : = % form-encoded before Basic.
func TestDeviceConfidentialClientAuthenticatesEverywhere(t *testing.T) {
	const secret = "p+s/w:o=r%d"
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		p := newProvider(t, jsonReply(200, goodToken))
		p.deviceReply = jsonReply(200, withInterval(`,"interval":1`))
		clock := &fakeClock{}
		ep := p.endpoint()
		ep.AuthStyle = style
		r := Request{OAuth: oauth2.Config{ClientID: "tv", ClientSecret: secret, Endpoint: ep}, HTTPClient: p.srv.Client(),
			now: clock.Now, sleep: clock.Sleep}
		if _, err := Device(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte("tv:"+url.QueryEscape(secret)))
		form := url.Values{"client_id": {"tv"}, "client_secret": {secret}}
		if style == oauth2.AuthStyleInHeader {
			form = url.Values{}
		} else {
			wantAuth = ""
		}
		if p.deviceAuth[0] != wantAuth || p.tokenAuth[0] != wantAuth {
			t.Errorf("style %v: Authorization %q and %q, want %q", style, p.deviceAuth[0], p.tokenAuth[0], wantAuth)
		}
		assertForm(t, "device authorization", p.deviceForms[0], form)
		poll := p.forms()[0]
		if poll.Get("client_secret") != form.Get("client_secret") || poll.Get("client_id") != form.Get("client_id") {
			t.Errorf("style %v: poll form %v", style, poll)
		}
	}
}

// A busy device authorization endpoint is asked again, after its
// Retry-After or 5 seconds, at most three times in all.
func TestDeviceAuthorizationBusy(t *testing.T) {
	busy := reply{429, "application/json", `{"error":"temporarily_unavailable"}`, "2"}
	gateway := reply{503, "text/html", "<p>" + canary, ""}
	for _, tt := range []struct {
		name       string
		queue      []reply
		wantErr    string
		wantSleeps []time.Duration
	}{
		{"busy, then a code", []reply{busy, gateway}, "", []time.Duration{2 * time.Second, 5 * time.Second, time.Second}},
		{"busy for good", []reply{busy, gateway, busy, busy}, "device authorization endpoint refused the request: temporarily_unavailable", []time.Duration{2 * time.Second, 5 * time.Second}},
		{"refused: no retry", []reply{jsonReply(400, `{"error":"invalid_client"}`)}, "invalid_client", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t, jsonReply(200, goodToken))
			p.deviceQueue = tt.queue
			p.deviceReply = jsonReply(200, withInterval(`,"interval":1`))
			clock := &fakeClock{}
			r := Request{OAuth: oauth2.Config{ClientID: "c", Endpoint: p.endpoint()}, HTTPClient: p.srv.Client(),
				now: clock.Now, sleep: clock.Sleep}
			_, err := Device(context.Background(), r)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if !reflect.DeepEqual(clock.sleeps, tt.wantSleeps) {
				t.Errorf("sleeps = %v, want %v", clock.sleeps, tt.wantSleeps)
			}
		})
	}
}
