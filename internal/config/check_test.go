package config

import "testing"

func TestProviderCheck(t *testing.T) {
	for _, tt := range []struct {
		name string
		p    Provider
		want string
	}{
		{"empty", Provider{}, ""},
		{"all set", Provider{Flow: FlowDevice, TokenAuthMethod: "client_secret_post", KubeToken: KubeIDToken, RedirectPort: 65535,
			AuthParams: map[string]string{"prompt": "consent"}, TokenParams: map[string]string{"audience": "a"}}, ""},
		{"flow", Provider{Flow: "magic"}, `flow "magic" is not a flow: use auto, browser, device or client_credentials`},
		{"auth method", Provider{TokenAuthMethod: "private_key_jwt"}, `token_endpoint_auth_method "private_key_jwt" is not a token endpoint authentication method: use client_secret_basic, client_secret_post or none`},
		{"kube token", Provider{KubeToken: "foo"}, `kube_token "foo" is not a token kubectl takes: use access_token or id_token`},
		{"port too high", Provider{RedirectPort: 70000}, `redirect_port 70000 is not a port: use 1 to 65535, or 0 for any free port`},
		{"port negative", Provider{RedirectPort: -1}, `redirect_port -1 is not a port: use 1 to 65535, or 0 for any free port`},
		{"auth param", Provider{AuthParams: map[string]string{"Code_Challenge": "x"}}, `auth_params may not set "Code_Challenge": tok sets it itself`},
		{"token param", Provider{TokenParams: map[string]string{"refresh_token": "x"}}, `token_params may not set "refresh_token": tok sets it itself`},
	} {
		err := tt.p.Check()
		if got := ""; err != nil {
			got = err.Error()
			if got != tt.want {
				t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
			}
		} else if tt.want != "" {
			t.Errorf("%s: no error, want %q", tt.name, tt.want)
		}
	}
}
