package testop

import (
	"net/url"
	"time"

	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// The clients and users every Server knows.
const (
	PublicClientID           = "tok-public"
	ConfidentialClientID     = "tok-confidential"
	ConfidentialClientSecret = "tok-secret"
	User                     = "alice"
	Password                 = "wonderland"
	OtherUser                = "bob"
	OtherPassword            = "builder"
)

// loginPath is the OP's own login page for the authorization code flow.
const loginPath = "/login"

// client is an op.Client with the fields the example storage keeps private.
type client struct {
	id         string
	secret     string
	appType    op.ApplicationType
	authMethod oidc.AuthMethod
	redirects  []string
	globs      []string
	grants     []oidc.GrantType
	jwtAccess  bool // Options.RealSizeTokens
}

func newClients() map[string]*client {
	return map[string]*client{
		// A native client: zitadel accepts any port on a registered loopback
		// redirect URI (RFC 8252, section 7.3), so no port is registered.
		PublicClientID: {
			id:         PublicClientID,
			appType:    op.ApplicationTypeNative,
			authMethod: oidc.AuthMethodNone,
			redirects:  []string{"http://127.0.0.1/callback", "http://localhost/callback"},
			grants: []oidc.GrantType{
				oidc.GrantTypeCode, oidc.GrantTypeRefreshToken, oidc.GrantTypeDeviceCode,
			},
		},
		// A web client: zitadel matches its redirect URIs exactly, so the
		// loopback port is left to a glob.
		ConfidentialClientID: {
			id:         ConfidentialClientID,
			secret:     ConfidentialClientSecret,
			appType:    op.ApplicationTypeWeb,
			authMethod: oidc.AuthMethodBasic,
			globs:      []string{"http://127.0.0.1:*/callback", "http://localhost:*/callback"},
			grants: []oidc.GrantType{
				oidc.GrantTypeClientCredentials, oidc.GrantTypeCode,
				oidc.GrantTypeRefreshToken, oidc.GrantTypeDeviceCode,
			},
		},
	}
}

func (c *client) GetID() string                       { return c.id }
func (c *client) RedirectURIs() []string              { return c.redirects }
func (c *client) PostLogoutRedirectURIs() []string    { return nil }
func (c *client) ApplicationType() op.ApplicationType { return c.appType }
func (c *client) AuthMethod() oidc.AuthMethod         { return c.authMethod }
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) GrantTypes() []oidc.GrantType { return c.grants }
func (c *client) AccessTokenType() op.AccessTokenType {
	if c.jwtAccess {
		return op.AccessTokenTypeJWT
	}
	return op.AccessTokenTypeBearer
}
func (c *client) IDTokenLifetime() time.Duration { return time.Hour }
func (c *client) DevMode() bool                  { return false }
func (c *client) IDTokenUserinfoClaimsAssertion() bool {
	return false
}
func (c *client) ClockSkew() time.Duration { return 0 }

// IsScopeAllowed lets tests ask for any scope, not only the OpenID ones.
func (c *client) IsScopeAllowed(string) bool { return true }

func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(scopes []string) []string { return scopes }
}

func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(scopes []string) []string { return scopes }
}

func (c *client) LoginURL(authRequestID string) string {
	return loginPath + "?authRequestID=" + url.QueryEscape(authRequestID)
}

// RedirectURIGlobs implements op.HasRedirectGlobs.
func (c *client) RedirectURIGlobs() []string           { return c.globs }
func (c *client) PostLogoutRedirectURIGlobs() []string { return nil }

// users is a storage.UserStore whose user ids are the usernames, so the
// subject is the same whichever flow logged the user in.
type users map[string]*storage.User

func newUsers() users {
	u := users{}
	for _, p := range [][2]string{{User, Password}, {OtherUser, OtherPassword}} {
		u[p[0]] = &storage.User{
			ID:                p[0],
			Username:          p[0],
			Password:          p[1],
			FirstName:         p[0],
			Email:             p[0] + "@example.test",
			EmailVerified:     true,
			PreferredLanguage: language.English,
		}
	}
	return u
}

func (u users) GetUserByID(id string) *storage.User         { return u[id] }
func (u users) GetUserByUsername(name string) *storage.User { return u[name] }
func (u users) ExampleClientID() string                     { return storage.ServiceUserID }

// check reports whether name and password belong to a user.
func (u users) check(name, password string) (*storage.User, bool) {
	user := u[name]
	return user, user != nil && user.Password == password
}
