package cli

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/tokerr"
	"github.com/tok-cli/tok/internal/wire"
)

// tokenDocument is what import accepts as JSON: an RFC 6749 §5.1 token
// response, x/oauth2's Token, or tok's own `print --format json`. Other
// fields (client_id, type, ...) are ignored.
type tokenDocument struct {
	AccessToken  string   `json:"access_token"`
	RefreshToken string   `json:"refresh_token"`
	TokenType    string   `json:"token_type"`
	ExpiresIn    any      `json:"expires_in"` // seconds, a number or a string
	Expiry       string   `json:"expiry"`     // RFC 3339
	ExpiresAt    any      `json:"expires_at"` // Unix seconds
	Scope        string   `json:"scope"`
	Scopes       []string `json:"scopes"`
	IDToken      string   `json:"id_token"`
}

// parseImport reads a bare refresh token or a token JSON document. Its
// errors never quote the input: it holds secrets.
func parseImport(raw string, scopes []string, now time.Time) (*store.Record, error) {
	raw = strings.TrimSpace(raw)
	switch {
	case raw == "":
		return nil, tokerr.New(tokerr.Usage, "nothing on stdin: pipe a refresh token or a token JSON document into tok import")
	case strings.HasPrefix(raw, "{"):
		return parseTokenDocument(raw, scopes, now)
	case strings.ContainsAny(raw, " \t\r\n"):
		return nil, tokerr.New(tokerr.Usage, "stdin holds more than one word: pipe only the refresh token, or a token JSON document")
	case !tokenChars(raw):
		return nil, tokerr.New(tokerr.Usage, "stdin holds characters a refresh token cannot hold")
	}
	return &store.Record{RefreshToken: raw, TokenType: "Bearer", Scopes: scopes, ObtainedAt: now}, nil
}

func parseTokenDocument(raw string, scopes []string, now time.Time) (*store.Record, error) {
	var doc tokenDocument
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		return nil, tokerr.New(tokerr.Usage, "stdin is not a token JSON document (it starts with { but does not parse)")
	}
	if doc.AccessToken == "" && doc.RefreshToken == "" {
		return nil, tokerr.New(tokerr.Usage, "the token JSON document has neither access_token nor refresh_token")
	}
	if doc.TokenType != "" && !strings.EqualFold(doc.TokenType, "bearer") {
		return nil, tokerr.New(tokerr.Usage, "the token JSON document has token_type %q: tok only handles Bearer tokens", cleanWord(doc.TokenType))
	}
	if !tokenChars(doc.AccessToken) || strings.Contains(doc.AccessToken, " ") || !tokenChars(doc.RefreshToken) {
		return nil, tokerr.New(tokerr.Usage, "the token JSON document holds a token with characters a token cannot hold")
	}
	rec := &store.Record{AccessToken: doc.AccessToken, RefreshToken: doc.RefreshToken, IDToken: doc.IDToken,
		TokenType: "Bearer", Scopes: scopes, ObtainedAt: now}
	switch {
	case doc.Scope != "":
		rec.Scopes = strings.Fields(doc.Scope)
	case doc.Scopes != nil:
		rec.Scopes = doc.Scopes
	}
	expiry, err := documentExpiry(doc, now)
	if err != nil {
		return nil, err
	}
	// No lifetime in the document: unknown, as for a token response
	// without expires_in (README, "Tokens without expires_in").
	rec.Expiry, rec.ExpiryUnknown = expiry, expiry.IsZero()
	return rec, nil
}

// documentExpiry is when the document's access token runs out: expiry,
// expires_at, or expires_in counted from now (the document may be older,
// which only makes tok refresh early). Zero when the document says nothing.
func documentExpiry(doc tokenDocument, now time.Time) (time.Time, error) {
	bad := tokerr.New(tokerr.Usage, "the token JSON document has an expiry tok cannot read (want expiry in RFC 3339, expires_at or expires_in in seconds)")
	switch {
	case doc.Expiry != "":
		t, err := time.Parse(time.RFC3339Nano, doc.Expiry)
		if err != nil {
			return time.Time{}, bad
		}
		return t, nil
	case doc.ExpiresAt != nil:
		secs, ok := wire.ExpiresIn(doc.ExpiresAt)
		if !ok {
			return time.Time{}, bad
		}
		return time.Unix(secs, 0), nil
	case doc.ExpiresIn != nil:
		secs, ok := wire.ExpiresIn(doc.ExpiresIn)
		if !ok {
			return time.Time{}, bad
		}
		// Zero or negative: a token that has already run out, imported
		// as expired (refreshed, or refused without a refresh token).
		// Bounded so the duration cannot overflow (±136 years).
		secs = max(min(secs, 1<<32), -(1 << 32))
		return now.Add(time.Duration(secs) * time.Second), nil
	}
	return time.Time{}, nil
}

// tokenChars reports whether s holds only VSCHARs (RFC 6749 Appendix A).
func tokenChars(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// cleanWord keeps a short, printable piece of a non-secret field.
func cleanWord(s string) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= 20 {
			break
		}
		if r > 0x20 && r < 0x7f {
			b.WriteRune(r)
		}
	}
	return b.String()
}
