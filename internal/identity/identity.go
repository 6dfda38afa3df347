// Package identity finds out who logged in, for `tok status`: from the
// claims of the ID token, else from the provider's userinfo endpoint
// (OpenID Connect Core §5.3) or a user API of the same spirit (GitHub's
// /user, GitLab's /api/v4/user). It is best effort: whatever is missing
// stays empty, and nothing here fails a login.
package identity

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/tok-cli/tok/internal/store"
)

// maxDocument bounds what tok reads of a userinfo answer.
const maxDocument = 1 << 20

// maxField bounds each field kept: these are shown in a table.
const maxField = 200

// Timeout bounds the userinfo request of a login.
const Timeout = 10 * time.Second

// claims are the members tok reads, under their OpenID Connect names
// (Core §5.1) and their GitHub/GitLab user API names.
type claims struct {
	Sub               json.RawMessage `json:"sub"`
	ID                json.RawMessage `json:"id"` // GitHub, GitLab: a number
	Email             any             `json:"email"`
	PreferredUsername any             `json:"preferred_username"`
	Login             any             `json:"login"`    // GitHub
	Username          any             `json:"username"` // GitLab
	Name              any             `json:"name"`
}

// Parse reads an identity from a JSON object of claims. Members of the
// wrong type are ignored; text is cleaned of control characters and cut.
func Parse(doc []byte) (store.Identity, error) {
	var c claims
	if err := json.Unmarshal(doc, &c); err != nil {
		return store.Identity{}, errors.New("not a JSON object of claims")
	}
	id := store.Identity{
		Sub:      first(scalar(c.Sub), scalar(c.ID)),
		Email:    text(c.Email),
		Username: first(text(c.PreferredUsername), text(c.Login), text(c.Username)),
		Name:     text(c.Name),
	}
	return id, nil
}

// FromIDToken reads the claims of an ID token's payload. The token came
// straight from the token endpoint over TLS, which OpenID Connect Core
// §3.1.3.7 (6) accepts in place of checking its signature; the result is
// only shown, never trusted for access.
func FromIDToken(idToken string) store.Identity {
	payload := idTokenPayload(idToken)
	if payload == nil {
		return store.Identity{}
	}
	id, _ := Parse(payload)
	return id
}

// IDTokenExpiry is an ID token's exp claim (OpenID Connect Core §2), zero
// when it has none or cannot be read.
func IDTokenExpiry(idToken string) time.Time {
	var c struct {
		Exp json.Number `json:"exp"`
	}
	payload := idTokenPayload(idToken)
	if payload == nil || json.Unmarshal(payload, &c) != nil {
		return time.Time{}
	}
	secs, err := c.Exp.Float64()
	if err != nil || secs <= 0 || secs > 1<<40 {
		return time.Time{}
	}
	return time.Unix(int64(secs), 0)
}

// idTokenPayload decodes the middle part of a compact JWS, nil when it is
// not one.
func idTokenPayload(idToken string) []byte {
	parts := strings.Split(idToken, ".")
	if len(parts) != 3 || len(parts[1]) > 4*maxDocument/3 {
		return nil
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil
	}
	return payload
}

// Fetch asks a userinfo endpoint (or a user API) who holds accessToken.
func Fetch(ctx context.Context, hc *http.Client, endpoint, accessToken string) (store.Identity, error) {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return store.Identity{}, err
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return store.Identity{}, fmt.Errorf("userinfo request failed")
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return store.Identity{}, fmt.Errorf("userinfo endpoint answered HTTP %d", resp.StatusCode)
	}
	// A signed userinfo answer (application/jwt) is not read: its claims
	// would need the provider's keys to mean anything more than the ID
	// token's.
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		return store.Identity{}, errors.New("userinfo endpoint did not answer JSON")
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocument+1))
	if err != nil || len(body) > maxDocument {
		return store.Identity{}, errors.New("userinfo answer unreadable or too large")
	}
	return Parse(body)
}

// Merge fills the empty fields of id from more. A different sub means
// another subject (OpenID Connect Core §5.3.2): nothing is taken from it.
func Merge(id, more store.Identity) store.Identity {
	if id.Sub != "" && more.Sub != "" && id.Sub != more.Sub {
		return id
	}
	id.Sub = first(id.Sub, more.Sub)
	id.Email = first(id.Email, more.Email)
	id.Username = first(id.Username, more.Username)
	id.Name = first(id.Name, more.Name)
	return id
}

// Complete reports whether more questions would add nothing.
func Complete(id store.Identity) bool {
	return id.Sub != "" && id.Email != "" && id.Username != "" && id.Name != ""
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func text(v any) string {
	s, ok := v.(string)
	if !ok {
		return ""
	}
	return clean(s)
}

// scalar reads a string or a number (GitHub's numeric id).
func scalar(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return clean(s)
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		if i, err := strconv.ParseInt(n.String(), 10, 64); err == nil {
			return strconv.FormatInt(i, 10)
		}
	}
	return ""
}

// clean drops control and format characters (terminal escapes, bidi
// overrides) and cuts s to maxField runes.
func clean(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == unicode.ReplacementChar {
			continue
		}
		if n == maxField {
			break
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimSpace(b.String())
}
