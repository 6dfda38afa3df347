package cli

import (
	"errors"
	"net/http"
	"time"
)

// httpTimeout bounds every request tok sends, body included: a provider
// that never answers, or trickles its answer, cannot hang a script.
const httpTimeout = 30 * time.Second

// newHTTPClient is tok's client for every provider request. Redirects are
// followed for GET and HEAD only (discovery, metadata documents): a
// redirected POST would carry a code, verifier, refresh token or client
// secret in its body to wherever Location points (Go resends the body on
// 307 and 308), so the redirect reaches the caller as an unexpected
// answer instead.
func newHTTPClient() *http.Client {
	return &http.Client{
		Timeout: httpTimeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if m := via[0].Method; m != http.MethodGet && m != http.MethodHead {
				return http.ErrUseLastResponse
			}
			if len(via) >= 10 {
				return errors.New("stopped after 10 redirects")
			}
			return nil
		},
	}
}
