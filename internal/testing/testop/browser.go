package testop

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
)

// maxHops bounds the pages one Browse visits.
const maxHops = 20

// Browse plays the user's browser in the authorization code flow: it opens
// authURL, logs in as user on the OP's login page and follows every
// redirect, including the last one to the client's loopback callback. It
// returns the status and body of the last page. It refuses to leave the
// loopback interface.
func Browse(ctx context.Context, authURL, user, password string) (int, string, error) {
	b := newBrowser()
	status, body, u, err := b.get(ctx, authURL)
	for loggedIn := false; err == nil; {
		f, ok := parseForm(body, u)
		if !ok || !f.has("password") {
			return status, body, nil
		}
		if loggedIn {
			return status, body, errors.New("testop: login refused")
		}
		f.values.Set("username", user)
		f.values.Set("password", password)
		status, body, u, err = b.submit(ctx, f)
		loggedIn = true
	}
	return status, body, err
}

// ApproveDevice plays the user of a device login (RFC 8628, section 3.3):
// it opens verificationURI, enters userCode and logs in as user, and allows
// the device, or denies it when approve is false. verificationURI may be
// verification_uri_complete, with userCode empty.
func ApproveDevice(ctx context.Context, verificationURI, userCode, user, password string, approve bool) error {
	b := newBrowser()
	_, body, u, err := b.get(ctx, verificationURI)
	if err != nil {
		return err
	}
	f, ok := parseForm(body, u)
	if !ok || !f.has("user_code") {
		return fmt.Errorf("testop: no device form at %s", u)
	}
	if userCode != "" {
		f.values.Set("user_code", userCode)
	}
	f.values.Set("username", user)
	f.values.Set("password", password)
	f.values.Set("action", "deny")
	if approve {
		f.values.Set("action", "allow")
	}
	status, body, _, err := b.submit(ctx, f)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("testop: device page answered %d: %s", status, strings.TrimSpace(body))
	}
	return nil
}

type browser struct{ client *http.Client }

func newBrowser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{client: &http.Client{
		Jar: jar,
		// Redirects are followed by hand, to check each hop is loopback.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (b *browser) get(ctx context.Context, rawURL string) (int, string, *url.URL, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return 0, "", nil, err
	}
	return b.do(req)
}

func (b *browser) submit(ctx context.Context, f *form) (int, string, *url.URL, error) {
	if f.method == http.MethodGet {
		u := *f.action
		u.RawQuery = f.values.Encode()
		return b.get(ctx, u.String())
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.action.String(), strings.NewReader(f.values.Encode()))
	if err != nil {
		return 0, "", nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// do sends req and follows redirects; it returns the last response and URL.
func (b *browser) do(req *http.Request) (int, string, *url.URL, error) {
	for range maxHops {
		if !isLoopback(req.URL) {
			return 0, "", req.URL, fmt.Errorf("testop: refusing to browse to non-loopback %s", req.URL.Redacted())
		}
		resp, err := b.client.Do(req)
		if err != nil {
			return 0, "", req.URL, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return resp.StatusCode, "", req.URL, err
		}
		loc := resp.Header.Get("Location")
		if resp.StatusCode < 300 || resp.StatusCode >= 400 || loc == "" {
			return resp.StatusCode, string(body), req.URL, nil
		}
		next, err := req.URL.Parse(loc)
		if err != nil {
			return resp.StatusCode, string(body), req.URL, err
		}
		req, err = http.NewRequestWithContext(req.Context(), http.MethodGet, next.String(), nil)
		if err != nil {
			return 0, "", next, err
		}
	}
	return 0, "", req.URL, errors.New("testop: too many redirects")
}

func isLoopback(u *url.URL) bool {
	if u.Scheme != "http" && u.Scheme != "https" {
		return false
	}
	host := u.Hostname()
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

// form is the first HTML form of a page, with its inputs' values.
type form struct {
	action *url.URL
	method string
	values url.Values
}

func (f *form) has(name string) bool {
	_, ok := f.values[name]
	return ok
}

var (
	formTag  = regexp.MustCompile(`(?is)<form\b[^>]*>`)
	inputTag = regexp.MustCompile(`(?is)<input\b[^>]*>`)
	attr     = regexp.MustCompile(`(?is)\b([a-z_-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')`)
)

func attrs(tag string) map[string]string {
	m := map[string]string{}
	for _, a := range attr.FindAllStringSubmatch(tag, -1) {
		m[strings.ToLower(a[1])] = html.UnescapeString(a[2] + a[3])
	}
	return m
}

// parseForm finds the first form of a page served at base. It reads only
// the simple, well-formed HTML of this package's pages; buttons are left
// to the caller.
func parseForm(page string, base *url.URL) (*form, bool) {
	start := formTag.FindStringIndex(page)
	if start == nil {
		return nil, false
	}
	fa := attrs(page[start[0]:start[1]])
	action, err := base.Parse(fa["action"])
	if err != nil {
		return nil, false
	}
	f := &form{action: action, method: strings.ToUpper(fa["method"]), values: url.Values{}}
	if f.method == "" {
		f.method = http.MethodGet
	}
	body := page[start[1]:]
	if end := strings.Index(strings.ToLower(body), "</form>"); end >= 0 {
		body = body[:end]
	}
	for _, tag := range inputTag.FindAllString(body, -1) {
		a := attrs(tag)
		if a["name"] != "" {
			f.values.Set(a["name"], a["value"])
		}
	}
	return f, true
}
