// Package gitcred speaks git's credential-helper protocol (git-credential(1),
// "INPUT/OUTPUT FORMAT"): key=value lines on stdin up to a blank line or
// the end, an answer in the same form on stdout.
package gitcred

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// Limits on what tok reads from git: a request is a handful of short
// lines.
const (
	maxLine  = 64 << 10
	maxLines = 256
)

// Request is what git asks about. Attributes tok does not use (wwwauth[],
// capability[], ...) are read and dropped, as the protocol says.
type Request struct {
	Protocol string // "https", "http", ...
	Host     string // host, with ":port" when the URL has one
	Path     string
	Username string
	Password string // set on store and erase: the credential git used
}

// Parse reads one request. url= is split into protocol, host and path;
// explicit attributes win over it, as in git.
func Parse(r io.Reader) (*Request, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxLine)
	req := &Request{}
	var fromURL *Request
	for n := 0; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if line == "" {
			break
		}
		if n == maxLines {
			return nil, errors.New("git sent too many lines")
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok || key == "" || strings.ContainsRune(line, 0) {
			return nil, fmt.Errorf("git sent a line that is not key=value")
		}
		switch key {
		case "protocol":
			req.Protocol = value
		case "host":
			req.Host = value
		case "path":
			req.Path = value
		case "username":
			req.Username = value
		case "password":
			req.Password = value
		case "url":
			fromURL = parseURL(value)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, errors.New("cannot read the request from git")
	}
	if fromURL != nil {
		req.Protocol = first(req.Protocol, fromURL.Protocol)
		req.Host = first(req.Host, fromURL.Host)
		req.Path = first(req.Path, fromURL.Path)
		req.Username = first(req.Username, fromURL.Username)
	}
	return req, nil
}

// parseURL splits protocol://[user@]host[:port]/path without net/url's
// escaping rules, which git does not follow either.
func parseURL(s string) *Request {
	proto, rest, ok := strings.Cut(s, "://")
	if !ok {
		return &Request{}
	}
	host, path, _ := strings.Cut(rest, "/")
	r := &Request{Protocol: proto, Path: path}
	if user, h, ok := strings.Cut(host, "@"); ok {
		r.Username, host = user, h
	}
	r.Host = host
	return r
}

// HostName is Host without its port, lower-cased.
func (r *Request) HostName() string {
	h := r.Host
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	return strings.ToLower(strings.Trim(h, "[]"))
}

// Answer is what `get` writes back.
type Answer struct {
	Username, Password string
	Expiry             time.Time // zero: unknown
}

// Write writes a in the protocol's form. password_expiry_utc (git 2.41)
// lets git drop the password once it expires; older gits discard it.
func (a *Answer) Write(w io.Writer) error {
	s := "username=" + a.Username + "\npassword=" + a.Password + "\n"
	if !a.Expiry.IsZero() {
		s += fmt.Sprintf("password_expiry_utc=%d\n", a.Expiry.Unix())
	}
	_, err := io.WriteString(w, s)
	return err
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
