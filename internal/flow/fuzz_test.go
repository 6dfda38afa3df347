package flow

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/oauth2"

	"github.com/tok-cli/tok/internal/wire"
)

// Fuzz targets for every answer flow reads from outside: token responses,
// device authorization responses and callback queries. Seeds are added
// here and kept in testdata/fuzz; `make fuzz` runs each for a while and
// plain `go test` replays the corpus.

// fuzzSecret is what the fuzzed request carried: a provider's echo of it
// is never shown.
const fuzzSecret = "fz-device-code-91c2"

// safeLine reports whether msg is fit for the one error line tok prints:
// no control or format characters and a bounded length.
func safeLine(t *testing.T, what, msg string) {
	t.Helper()
	if !utf8.ValidString(msg) {
		t.Fatalf("%s is not UTF-8: %q", what, msg)
	}
	for _, r := range msg {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			t.Fatalf("%s holds control character %U: %q", what, r, msg)
		}
	}
	if len(msg) > 1000 {
		t.Fatalf("%s is %d bytes long", what, len(msg))
	}
}

// FuzzParseTokenResponse reads token endpoint answers (RFC 6749 §5.1,
// §5.2) as the device flow's poll does, and the reshaped error tok prints.
func FuzzParseTokenResponse(f *testing.F) {
	f.Add(200, "application/json", []byte(goodToken))
	f.Add(400, "application/json", []byte(`{"error":"authorization_pending"}`))
	f.Add(200, "application/json", []byte(`{"error":"slow_down","error_description":"wait\n\x1b[2J"}`))
	f.Add(200, "application/x-www-form-urlencoded", []byte("access_token=a&token_type=bearer&expires_in=-3"))
	f.Add(200, "text/plain", []byte("error=access_denied"))
	f.Add(502, "text/html", []byte("<html>bad gateway</html>"))
	f.Add(200, "application/json", []byte(`{"access_token":1,"expires_in":"1e9"}`))
	f.Add(400, "application/json", []byte(`{"error":"`+fuzzSecret+`","error_description":"device_code=`+fuzzSecret+` `+fuzzSecret[:4]+"\u001b"+fuzzSecret[4:]+`"}`))
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		if status < 100 || status > 999 {
			return
		}
		resp := &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {contentType}}}
		tok, err := parseTokenResponse(resp, body)
		if err != nil {
			if tok != nil {
				t.Fatal("both a token and an error")
			}
			msg := TokenEndpointError(err, wire.Secrets{fuzzSecret}).Error()
			safeLine(t, "error", msg)
			if strings.Contains(msg, fuzzSecret) {
				t.Fatalf("error shows the request's secret: %q", msg)
			}
			return
		}
		if tok.AccessToken == "" {
			t.Fatal("a token without access_token")
		}
		if status < 200 || status > 299 {
			t.Fatalf("a token from HTTP %d", status)
		}
		if err := CheckBearer(tok); err != nil {
			safeLine(t, "CheckBearer", err.Error())
		} else if !tok.Expiry.IsZero() && tok.Expiry.Before(time.Now().Add(-time.Minute)) {
			t.Fatalf("accepted a token that expired before it arrived: %v", tok.Expiry)
		}
	})
}

// roundTripFunc answers requests without a network.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func answer(status int, contentType string, body []byte) *http.Response {
	return &http.Response{StatusCode: status, Status: http.StatusText(status),
		Header: http.Header{"Content-Type": {contentType}}, Body: io.NopCloser(bytes.NewReader(body))}
}

// FuzzExchangeResponse sends the browser flow's code exchange, which
// x/oauth2 parses, against fuzzed answers.
func FuzzExchangeResponse(f *testing.F) {
	f.Add(200, "application/json", []byte(goodToken))
	f.Add(400, "application/json", []byte(`{"error":"invalid_grant","error_description":"spent"}`))
	f.Add(200, "application/x-www-form-urlencoded", []byte("access_token=a&token_type=mac"))
	f.Add(200, "text/html", []byte("<p>hi"))
	f.Add(307, "text/html", []byte(""))
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		if status < 100 || status > 999 {
			return
		}
		hc := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
			return answer(status, contentType, body), nil
		})}
		conf := oauth2.Config{ClientID: "c", Endpoint: oauth2.Endpoint{TokenURL: "https://idp.example/token", AuthStyle: oauth2.AuthStyleInParams}}
		tok, err := conf.Exchange(context.WithValue(context.Background(), oauth2.HTTPClient, hc), "code")
		if err == nil {
			err = CheckBearer(tok)
		} else {
			err = TokenEndpointError(err, nil)
		}
		if err != nil {
			safeLine(t, "error", err.Error())
		}
	})
}

// FuzzDeviceAuthResponse runs the device flow against a fuzzed device
// authorization answer (RFC 8628 §3.2); the token endpoint then refuses,
// so each run ends at once. What reaches the terminal must be clean.
func FuzzDeviceAuthResponse(f *testing.F) {
	f.Add(200, []byte(`{"device_code":"d","user_code":"ABCD-EFGH","verification_uri":"https://x/device","verification_uri_complete":"https://x/device?c=1","expires_in":600,"interval":5}`))
	f.Add(200, []byte(`{"device_code":"d","user_code":"\u001b[2J","verification_uri":"https://x/\n","interval":-1}`))
	f.Add(200, []byte(`{"device_code":"d","user_code":"u","verification_uri":"v","expires_in":"x"}`))
	f.Add(400, []byte(`{"error":"invalid_client"}`))
	f.Add(200, []byte(`[]`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 999 {
			return
		}
		hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if strings.HasSuffix(r.URL.Path, "/device") {
				return answer(status, "application/json", body), nil
			}
			return answer(400, "application/json", []byte(`{"error":"access_denied"}`)), nil
		})}
		var stderr bytes.Buffer
		clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
		r := Request{
			OAuth: oauth2.Config{ClientID: "c", Endpoint: oauth2.Endpoint{
				TokenURL: "https://idp.example/token", DeviceAuthURL: "https://idp.example/device"}},
			DisplayCode: printCode(&stderr), HTTPClient: hc, now: clock.Now, sleep: clock.Sleep,
		}
		_, err := Device(context.Background(), r)
		if err == nil {
			t.Fatal("the device flow succeeded against a refusing token endpoint")
		}
		safeLine(t, "error", err.Error())
		for _, line := range strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n") {
			safeLine(t, "stderr line", line)
		}
	})
}

// FuzzCallbackQuery judges redirect queries as the loopback listener and
// the paste prompt do.
func FuzzCallbackQuery(f *testing.F) {
	const state = "the-state-0123456789abcdefghijklmnopqrstuvwxyz"
	f.Add("code=c&state=" + state)
	f.Add("code=c&state=" + state + "&iss=https%3A%2F%2Fissuer.example")
	f.Add("error=access_denied&error_description=no%0A%1B%5B2J&state=" + state)
	f.Add("code=c&state=wrong")
	f.Add("state=" + state + "&iss=a&iss=b")
	f.Add("%zz;;&&==")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		c := newCallback(state, "https://issuer.example", false, "127.0.0.1:1")
		o, refusal := c.judge(q)
		if refusal != nil {
			if o.code != "" || o.err != nil {
				t.Fatal("a refusal with an outcome")
			}
			safeLine(t, "refusal", refusal.Error())
			return
		}
		if q.Get("state") != state {
			t.Fatalf("accepted state %q", q.Get("state"))
		}
		if o.err != nil {
			if o.code != "" {
				t.Fatal("both a code and an error")
			}
			msg := o.err.Error()
			safeLine(t, "error", msg)
			if c := q.Get("code"); len(c) > 8 && strings.Contains(msg, c) {
				t.Fatalf("the error carries the code: %q", msg)
			}
			return
		}
		if o.code == "" || o.code != q.Get("code") {
			t.Fatalf("code %q from query %q", o.code, raw)
		}
		if iss, ok := q["iss"]; ok && (len(iss) != 1 || iss[0] != "https://issuer.example") {
			t.Fatalf("accepted iss %q", iss)
		}
		if q.Get("error") != "" {
			t.Fatal("a code from an error redirect")
		}
	})
}
