// Package wire holds tok's one helper per concern of what crosses the
// network: how much of a document to read, how a client authenticates at
// the token endpoint, how expires_in and Retry-After are read, when an
// answer means "try again later", and how provider text and URL errors are
// made safe to print.
package wire

import (
	"errors"
	"net/url"
	"strings"
	"unicode"
)

// MaxDocument bounds every document tok reads from a server: metadata,
// token and registration responses (1 MiB).
const MaxDocument = 1 << 20

// MaxDrain bounds what tok reads of a body it throws away, so that the
// connection can be reused (64 KiB).
const MaxDrain = 1 << 16

// Clean makes text from a server safe to print on one line: control and
// format characters (terminal escapes, newlines, bidi overrides) and
// invalid UTF-8 are dropped, and it is cut to max runes with "..." after.
func Clean(s string, max int) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == unicode.ReplacementChar {
			continue
		}
		if n == max {
			b.WriteString("...")
			break
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// ScrubURLError drops the URL of a *url.Error (a query may carry a code or
// a secret) and keeps what went wrong; the caller names the URL, with
// Redact. What remains is still a net.Error, so that a request that got no
// answer stays recognisable (Transient). Other errors pass unchanged.
func ScrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &noAnswer{ue}
	}
	return err
}

// noAnswer is a *url.Error that prints without its URL.
type noAnswer struct{ ue *url.Error }

func (e *noAnswer) Error() string   { return e.ue.Err.Error() }
func (e *noAnswer) Unwrap() error   { return e.ue.Err }
func (e *noAnswer) Timeout() bool   { return e.ue.Timeout() }
func (e *noAnswer) Temporary() bool { return e.ue.Temporary() }

// Redact is raw without its query, fragment and password, for messages.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the URL"
	}
	u.RawQuery, u.Fragment, u.ForceQuery = "", "", false
	return u.Redacted()
}
