package token

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/tok-cli/tok/internal/provider"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/tokerr"
)

// A login is bound to the server and client that issued it (README "A
// login stays with its server"): its issuer, client_id and token
// endpoint's origin, as recorded at login and refresh. A refresh token is
// never sent anywhere else, so a config that now names another server
// under the same provider name (or an override such as TOK_P_TOKEN_URL)
// needs a new login instead.

// TokenOrigin is the origin (RFC 6454: scheme://host[:port], the default
// port left out) of a token endpoint URL, "" when it does not parse.
func TokenOrigin(tokenURL string) string {
	u, err := url.Parse(tokenURL)
	if err != nil || u.Host == "" {
		return ""
	}
	scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	if (scheme == "https" && strings.HasSuffix(host, ":443")) || (scheme == "http" && strings.HasSuffix(host, ":80")) {
		host = host[:strings.LastIndexByte(host, ':')]
	}
	return scheme + "://" + host
}

// Bind records md's issuer, p's client_id and md's token and revocation
// endpoints' origins in rec, for a login or import.
func Bind(rec *store.Record, p *provider.Provider, md *provider.Metadata) {
	rec.Issuer, rec.ClientID, rec.TokenOrigin = md.Issuer, p.ClientID, TokenOrigin(md.TokenURL)
	rec.RevocationOrigin = TokenOrigin(md.RevocationURL)
}

// revocationOrigin is what a refresh of rec records as its revocation
// endpoint's origin: rec's own, else md's revocation endpoint's where an
// older record accepts it (revocableAt), else none. A refresh never moves
// it: the refresh request went to the token endpoint, not there.
func revocationOrigin(p *provider.Provider, md *provider.Metadata, rec *store.Record) string {
	if rec.RevocationOrigin != "" {
		return rec.RevocationOrigin
	}
	if o := TokenOrigin(md.RevocationURL); revocableAt(p, md, rec, o) {
		return o
	}
	return ""
}

// revocableAt reports whether a record that does not name its revocation
// endpoint's origin may send its tokens to origin: the origin of its token
// endpoint or of its issuer (as recorded, else as p names them now).
func revocableAt(p *provider.Provider, md *provider.Metadata, rec *store.Record, origin string) bool {
	tokenOrigin, issuer := rec.TokenOrigin, rec.Issuer
	if tokenOrigin == "" {
		tokenOrigin = TokenOrigin(md.TokenURL)
	}
	if issuer == "" {
		issuer = p.Issuer
	}
	return origin != "" && (origin == tokenOrigin || origin == TokenOrigin(issuer))
}

// CheckRevocation is checkBound for a request to md's revocation endpoint
// (RFC 7009) carrying rec's tokens: it refuses too (exit 4, naming the
// fix) when that endpoint's origin is not the one rec records, or, for a
// record without one, neither its token endpoint's nor its issuer's.
func CheckRevocation(t Target, p *provider.Provider, md *provider.Metadata, rec *store.Record) error {
	if err := checkBound(t, p, md, rec); err != nil {
		return err
	}
	now := TokenOrigin(md.RevocationURL)
	var cause string
	switch {
	case rec.RevocationOrigin != "" && rec.RevocationOrigin != now:
		cause = fmt.Sprintf("it was made with revocation endpoint %s, and %s's revocation endpoint is now at %s", rec.RevocationOrigin, p.Name, orNone(now))
	case rec.RevocationOrigin == "" && !revocableAt(p, md, rec, now):
		cause = fmt.Sprintf("%s's revocation endpoint at %s is neither at its token endpoint nor at its issuer", p.Name, orNone(now))
	default:
		return nil
	}
	return tokerr.LoginNeededFor(t.String(), &BoundError{cause})
}

// checkBound refuses (exit 4, naming the fix) to use rec's tokens with p
// when rec was issued by another server or to another client. The issuer
// and client_id are p's own (discovery keeps the issuer as configured), so
// they are checked before anything is asked of the server; the token
// endpoint's origin once md, p's endpoints, is known (nil: not yet). What
// rec does not record (older records) is not compared.
func checkBound(t Target, p *provider.Provider, md *provider.Metadata, rec *store.Record) error {
	var cause string
	switch {
	case rec.Issuer != "" && rec.Issuer != p.Issuer:
		cause = fmt.Sprintf("it was made with issuer %s, and %s's issuer is now %s", rec.Issuer, p.Name, orNone(p.Issuer))
	case rec.ClientID != "" && rec.ClientID != p.ClientID:
		cause = fmt.Sprintf("it was made for client_id %s, and %s's client_id is now %s", rec.ClientID, p.Name, orNone(p.ClientID))
	case md == nil:
		return nil
	case rec.TokenOrigin != "" && rec.TokenOrigin != TokenOrigin(md.TokenURL):
		cause = fmt.Sprintf("it was made at token endpoint %s, and %s's token endpoint is now at %s", rec.TokenOrigin, p.Name, orNone(TokenOrigin(md.TokenURL)))
	default:
		return nil
	}
	return tokerr.LoginNeededFor(t.String(), &BoundError{cause})
}

// BoundError is why a login cannot be used with its provider's current
// settings: they name another server or client than the login's.
type BoundError struct{ cause string }

func (e *BoundError) Error() string { return e.cause + ": its tokens are not sent there" }

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
