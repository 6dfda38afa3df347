package provider

import "github.com/tok-cli/tok/internal/config"

// Preset is what tok knows about a well-known provider before any config:
// endpoints, default scopes and exec variables. The config supplies at
// least the client id, because each user registers their own app.
type Preset struct {
	config.Provider
	// RegisterAt tells a user without a client id where to get one.
	RegisterAt string
	// Note is shown by `tok providers` (e.g. refresh caveats).
	Note string
}

// presets are the built-in providers. Endpoints are the providers'
// published ones, so no discovery is needed for them.
var presets = map[string]Preset{
	"github": {
		Provider: config.Provider{
			AuthURL:       "https://github.com/login/oauth/authorize",
			TokenURL:      "https://github.com/login/oauth/access_token",
			DeviceAuthURL: "https://github.com/login/device/code",
			Scopes:        []string{"read:user"},
			Env:           []string{"GITHUB_TOKEN", "GH_TOKEN"},
			UserinfoURL:   "https://api.github.com/user",
			Hosts:         []string{"github.com"},
			GitUsername:   "x-access-token",
		},
		RegisterAt: "https://github.com/settings/developers (new OAuth app; tick \"Enable Device Flow\")",
		Note:       "tokens do not expire and cannot be refreshed unless the app opts in to expiring user tokens",
	},
	"google": {
		Provider: config.Provider{
			Issuer:        "https://accounts.google.com",
			AuthURL:       "https://accounts.google.com/o/oauth2/v2/auth",
			TokenURL:      "https://oauth2.googleapis.com/token",
			DeviceAuthURL: "https://oauth2.googleapis.com/device/code",
			RevocationURL: "https://oauth2.googleapis.com/revoke",
			Scopes:        []string{"openid", "email", "profile"},
			Env:           []string{"GOOGLE_OAUTH_ACCESS_TOKEN"},
			// Google issues a refresh token only for offline access, and
			// only on consent.
			AuthParams: map[string]string{"access_type": "offline", "prompt": "consent"},
			// Revoking any token of a Google grant revokes all of it.
			RevokeEndsGrant: true,
		},
		RegisterAt: "https://console.cloud.google.com/apis/credentials (OAuth client ID, type \"Desktop app\" or \"TVs and Limited Input devices\" for the device flow)",
	},
	"gitlab": {
		Provider: config.Provider{
			Issuer:        "https://gitlab.com",
			AuthURL:       "https://gitlab.com/oauth/authorize",
			TokenURL:      "https://gitlab.com/oauth/token",
			DeviceAuthURL: "https://gitlab.com/oauth/authorize_device",
			RevocationURL: "https://gitlab.com/oauth/revoke",
			Scopes:        []string{"read_user"},
			Env:           []string{"GITLAB_TOKEN"},
			UserinfoURL:   "https://gitlab.com/api/v4/user",
			Hosts:         []string{"gitlab.com"},
		},
		RegisterAt: "https://gitlab.com/-/user_settings/applications (non-confidential, redirect URI http://127.0.0.1/callback)",
	},
	"microsoft": {
		Provider: config.Provider{
			Tenant:        "organizations",
			AuthURL:       "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize",
			TokenURL:      "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
			DeviceAuthURL: "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/devicecode",
			Scopes:        []string{"openid", "profile", "offline_access", "User.Read"},
			Env:           []string{"AZURE_ACCESS_TOKEN"},
		},
		RegisterAt: "https://entra.microsoft.com (App registrations; platform \"Mobile and desktop\", redirect URI http://127.0.0.1/callback; allow public client flows)",
	},
}

// Presets returns the names of the built-in providers.
func Presets() []string {
	return []string{"github", "gitlab", "google", "microsoft"}
}
