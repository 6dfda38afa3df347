package provider

import (
	"errors"
	"slices"
	"testing"

	"github.com/tok-cli/tok/internal/config"
	"github.com/tok-cli/tok/internal/tokerr"
)

func env(m map[string]string) Lookup {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestResolve(t *testing.T) {
	cfg := &config.Config{Providers: map[string]config.Provider{
		"github":    {ClientID: "Iv1.file", Scopes: []string{"repo"}},
		"dex":       {Issuer: "http://127.0.0.1:5556", ClientID: "tok-public"},
		"ms":        {},
		"microsoft": {ClientID: "m", Tenant: "common"},
	}}
	tests := []struct {
		name    string
		env     map[string]string
		check   func(t *testing.T, p *Provider)
		wantErr tokerr.Code
	}{
		{name: "github", check: func(t *testing.T, p *Provider) {
			if p.ClientID != "Iv1.file" || !slices.Equal(p.Scopes, []string{"repo"}) || p.TokenURL == "" || !p.Preset {
				t.Fatalf("config not merged over preset: %+v", p)
			}
			if !slices.Equal(p.Env, []string{"GITHUB_TOKEN", "GH_TOKEN"}) {
				t.Fatalf("env = %v", p.Env)
			}
		}},
		{name: "github", env: map[string]string{"TOK_GITHUB_CLIENT_ID": "Iv1.env"}, check: func(t *testing.T, p *Provider) {
			if p.ClientID != "Iv1.env" {
				t.Fatalf("environment must win over the file, got %q", p.ClientID)
			}
		}},
		{name: "dex", check: func(t *testing.T, p *Provider) {
			if p.Flow != config.FlowAuto || !slices.Equal(p.Env, []string{"DEX_TOKEN"}) {
				t.Fatalf("defaults: %+v", p)
			}
		}},
		{name: "microsoft", check: func(t *testing.T, p *Provider) {
			if p.TokenURL != "https://login.microsoftonline.com/common/oauth2/v2.0/token" {
				t.Fatalf("tenant not expanded: %s", p.TokenURL)
			}
		}},
		{name: "google", check: func(t *testing.T, p *Provider) {
			if p.AuthParams["access_type"] != "offline" {
				t.Fatalf("google needs access_type=offline for refresh tokens: %v", p.AuthParams)
			}
		}},
		{name: "ci-job", env: map[string]string{"TOK_CI_JOB_ISSUER": "https://id.example.com", "TOK_CI_JOB_CLIENT_ID": "c", "TOK_CI_JOB_SCOPES": "a b,c", "TOK_CI_JOB_FLOW": "client_credentials"}, check: func(t *testing.T, p *Provider) {
			if p.Issuer != "https://id.example.com" || !slices.Equal(p.Scopes, []string{"a", "b", "c"}) || p.Flow != "client_credentials" {
				t.Fatalf("env-only provider: %+v", p)
			}
			if !slices.Equal(p.Env, []string{"CI_JOB_TOKEN"}) {
				t.Fatalf("env = %v", p.Env)
			}
		}},
		{name: "nobody", env: map[string]string{"TOK_NOBODY_CLIENT_ID": "x"}, wantErr: tokerr.Usage},
		{name: "gthub", wantErr: tokerr.Usage},
		{name: "ms", wantErr: tokerr.Usage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Resolve(cfg, tt.name, env(tt.env))
			if tt.wantErr != 0 {
				if tokerr.ExitCode(err) != int(tt.wantErr) {
					t.Fatalf("err = %v, want exit %d", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, p)
		})
	}
}

func TestResolvePresetIsNotModified(t *testing.T) {
	cfg := &config.Config{Providers: map[string]config.Provider{"google": {AuthParams: map[string]string{"prompt": "none"}}}}
	if _, err := Resolve(cfg, "google", env(nil)); err != nil {
		t.Fatal(err)
	}
	if presets["google"].AuthParams["prompt"] != "consent" {
		t.Fatal("resolving a provider changed the built-in preset")
	}
}

func TestUnknownSuggests(t *testing.T) {
	_, err := Resolve(&config.Config{}, "gitlba", env(nil))
	if got := tokerr.HintOf(err); got != "did you mean gitlab?" {
		t.Fatalf("hint = %q", got)
	}
	_, err = Resolve(&config.Config{}, "zzzzzz", env(nil))
	if got := tokerr.HintOf(err); got != "run: tok providers" {
		t.Fatalf("hint = %q", got)
	}
}

func TestRequireClientID(t *testing.T) {
	p, err := Resolve(&config.Config{}, "github", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	err = p.RequireClientID()
	var te *tokerr.Error
	if !errors.As(err, &te) || te.Code != tokerr.Usage {
		t.Fatalf("err = %v", err)
	}
	if te.Hint != "set providers.github.client_id in the config file, or TOK_GITHUB_CLIENT_ID" {
		t.Fatalf("hint = %q", te.Hint)
	}
}

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"a", "", 1}, {"github", "gihtub", 2}, {"kitten", "sitting", 3}} {
		if got := distance(c.a, c.b); got != c.d {
			t.Errorf("distance(%q,%q) = %d, want %d", c.a, c.b, got, c.d)
		}
	}
}

func TestEnvNames(t *testing.T) {
	got := EnvNames([]string{
		"TOK_CI_JOB_ISSUER=https://id.example.com", "TOK_CI_JOB_CLIENT_ID=x", "TOK_API_TOKEN_URL=https://a/t",
		"TOK_EMPTY_ISSUER=", "TOK_STATE_DIR=/s", "TOK__ISSUER=x", "HOME=/h", "TOK_API_ISSUER=https://a",
	})
	if !slices.Equal(got, []string{"api", "ci_job"}) {
		t.Fatalf("EnvNames = %v", got)
	}
}
