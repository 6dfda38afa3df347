package store

import (
	"encoding/json"
	"fmt"
	"time"
)

// RecordVersion is the version of the stored token record written by this
// build. A record with a higher version is refused rather than misread.
const RecordVersion = 1

// Record is what tok keeps for one login. It holds secrets: it lives only in
// a Backend (keyring or encrypted file), never in the index.
type Record struct {
	Version      int       `json:"version"`
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	IDToken      string    `json:"id_token,omitempty"`
	TokenType    string    `json:"token_type,omitempty"`
	Expiry       time.Time `json:"expiry,omitempty"`
	// ExpiryUnknown records that the token response had no expires_in:
	// Expiry, if set, is an assumed default_ttl, not the provider's word.
	ExpiryUnknown bool      `json:"expiry_unknown,omitempty"`
	Scopes        []string  `json:"scopes,omitempty"`
	ObtainedAt    time.Time `json:"obtained_at"`
	// AskedScopes are the scopes a client-credentials token was requested
	// with (Scopes are what the provider granted), so a changed scopes
	// setting is noticed (README "Logging in"); empty for other logins
	// and in records written before it existed.
	AskedScopes []string `json:"asked_scopes,omitempty"`
	// Issuer and ClientID tie the login to the registration that obtained
	// it, so a changed config is noticed instead of sending a refresh token
	// to the wrong server.
	Issuer   string `json:"issuer,omitempty"`
	ClientID string `json:"client_id,omitempty"`
	// TokenOrigin is the origin (scheme://host[:port]) of the token
	// endpoint that issued the login, for providers without an issuer and
	// token_url overrides; empty in records written before it existed.
	TokenOrigin string `json:"token_origin,omitempty"`
	// RevocationOrigin is the origin of the revocation endpoint (RFC
	// 7009) the provider named when the login was made, the only one its
	// tokens are revoked at; empty when it named none and in records
	// written before it existed.
	RevocationOrigin string `json:"revocation_origin,omitempty"`
	// RefreshedFor is the --min-ttl of the print or exec whose refresh
	// obtained this token; zero after a login, an import or a forced
	// refresh. When the provider's lifetime fell short of it, a refresh
	// cannot do better for a while (README "print"): token.Manager hands
	// the token out instead of refreshing once per run.
	RefreshedFor time.Duration `json:"refreshed_for,omitempty"`
	// Identity is who logged in, recorded at login and kept across
	// refreshes; nil when the provider did not say.
	Identity *Identity `json:"identity,omitempty"`
}

// Identity is who a login belongs to, as the provider named them (OpenID
// Connect Core §5.1 claims; GitHub's login as Username). Any field may be
// empty. It is not a secret: the index and `status` carry it.
type Identity struct {
	Sub      string `json:"sub"`
	Email    string `json:"email"`
	Username string `json:"username"`
	Name     string `json:"name"`
}

// IsZero reports whether nothing is known.
func (id Identity) IsZero() bool { return id == Identity{} }

// Marshal encodes r as the current record version.
func (r *Record) Marshal() ([]byte, error) {
	c := *r
	c.Version = RecordVersion
	return json.Marshal(&c)
}

// ErrCorrupt marks a stored record that cannot be read. Its text never
// includes the stored bytes.
var ErrCorrupt = fmt.Errorf("stored token record is unreadable")

// UnmarshalRecord decodes a stored record, refusing unknown versions and
// records without an access or refresh token.
func UnmarshalRecord(b []byte) (*Record, error) {
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, ErrCorrupt
	}
	if r.Version < 1 {
		return nil, ErrCorrupt
	}
	if r.Version > RecordVersion {
		return nil, fmt.Errorf("stored token record has version %d, newer than this tok understands (%d): upgrade tok", r.Version, RecordVersion)
	}
	if r.AccessToken == "" && r.RefreshToken == "" {
		return nil, ErrCorrupt
	}
	return &r, nil
}

// Refreshable reports whether the record can be renewed without a person.
func (r *Record) Refreshable() bool { return r.RefreshToken != "" }

// TTL is how long the access token has left at now. A token with no expiry
// is treated as never expiring (GitHub OAuth app tokens, for example).
func (r *Record) TTL(now time.Time) time.Duration {
	if r.Expiry.IsZero() {
		return time.Duration(1<<63 - 1)
	}
	return r.Expiry.Sub(now)
}
