package wire

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// MaxRetryAfter caps how long tok waits when a server asks it to come back
// later: a Retry-After of an hour would otherwise hang a login or a child.
const MaxRetryAfter = 60 * time.Second

// TransientAnswer reports whether an HTTP answer means "try again later"
// rather than "no": 429 or any 5xx (RFC 9110 §15.6), or the RFC 6749 §5.2
// codes temporarily_unavailable and server_error whatever the status.
func TransientAnswer(status int, code string) bool {
	switch code {
	case "temporarily_unavailable", "server_error":
		return true
	case "":
		return status == http.StatusTooManyRequests || status >= 500
	}
	return false
}

// BusyError is an answer that means "try again later" (TransientAnswer)
// where no *oauth2.RetrieveError carries it: a metadata document's 503.
type BusyError struct {
	Status int
	Err    error
}

func (e *BusyError) Error() string { return e.Err.Error() }
func (e *BusyError) Unwrap() error { return e.Err }

// Transient reports whether a request failed for a reason that may pass:
// no answer at all (a network error or the server's timeout, not the
// caller's own context), a *BusyError, or an x/oauth2 token endpoint
// answer that TransientAnswer calls temporary.
func Transient(err error) bool {
	var be *BusyError
	if errors.As(err, &be) {
		return true
	}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		var ne net.Error // *url.Error, and what discovery leaves of one
		return errors.As(err, &ne) && !errors.Is(err, context.Canceled)
	}
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	return TransientAnswer(status, re.ErrorCode)
}

// RetryAfter reads a Retry-After header (RFC 9110 §10.2.3): delay-seconds
// or an HTTP date, counted from now, capped at MaxRetryAfter. ok is false
// when the header is absent or unreadable.
func RetryAfter(h http.Header, now time.Time) (d time.Duration, ok bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseUint(v, 10, 32); err == nil {
		d = time.Duration(secs) * time.Second
	} else if at, err := http.ParseTime(v); err == nil {
		d = at.Sub(now)
	} else {
		return 0, false
	}
	return min(max(d, 0), MaxRetryAfter), true
}

// RetryAfterOf is RetryAfter of the answer inside err (an
// *oauth2.RetrieveError), or 0.
func RetryAfterOf(err error, now time.Time) time.Duration {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response == nil {
		return 0
	}
	d, _ := RetryAfter(re.Response.Header, now)
	return d
}
