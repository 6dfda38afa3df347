package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/tokerr"
)

func TestParseImport(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	const secret = "SECRETtok"
	cfgScopes := []string{"openid", "offline_access"}
	tests := []struct {
		name    string
		in      string
		access  string
		refresh string
		expiry  time.Time
		scopes  []string
		err     string
	}{
		{"bare refresh token", "  " + secret + "-rt\n", "", secret + "-rt", time.Time{}, cfgScopes, ""},
		{"response", `{"access_token":"at","refresh_token":"rt","token_type":"Bearer","expires_in":3600,"scope":"a b"}`,
			"at", "rt", now.Add(time.Hour), []string{"a", "b"}, ""},
		{"expires_in as a string", `{"access_token":"at","expires_in":"60"}`, "at", "", now.Add(time.Minute), cfgScopes, ""},
		{"x/oauth2 Token", `{"access_token":"at","token_type":"bearer","refresh_token":"rt","expiry":"2030-01-01T13:00:00+01:00"}`,
			"at", "rt", now, cfgScopes, ""},
		{"tok print --format json", `{"access_token":"at","token_type":"Bearer","expiry":"2030-01-01T12:05:00Z","expires_in":300,"scopes":["x"],"provider":"p","account":"a"}`,
			"at", "", now.Add(5 * time.Minute), []string{"x"}, ""},
		{"expires_at", `{"refresh_token":"rt","access_token":"at","expires_at":1893502800}`, "at", "rt", time.Unix(1893502800, 0), cfgScopes, ""},
		{"google authorized_user", `{"client_id":"x.apps.googleusercontent.com","client_secret":"cs","refresh_token":"rt","type":"authorized_user"}`,
			"", "rt", time.Time{}, cfgScopes, ""},
		{"empty", " \n", "", "", time.Time{}, nil, "nothing on stdin"},
		{"two words", "Bearer " + secret, "", "", time.Time{}, nil, "more than one word"},
		{"two lines", secret + "\n" + secret, "", "", time.Time{}, nil, "more than one word"},
		{"control characters", secret + "\x1b[2J", "", "", time.Time{}, nil, "characters a refresh token cannot hold"},
		{"broken json", `{"access_token":"` + secret, "", "", time.Time{}, nil, "not a token JSON document"},
		{"wrong types", `{"access_token":["` + secret + `"]}`, "", "", time.Time{}, nil, "not a token JSON document"},
		{"no token", `{"scope":"openid"}`, "", "", time.Time{}, nil, "neither access_token nor refresh_token"},
		{"not bearer", `{"access_token":"` + secret + `","token_type":"DPoP"}`, "", "", time.Time{}, nil, `token_type "DPoP"`},
		{"space in access token", `{"access_token":"a ` + secret + `"}`, "", "", time.Time{}, nil, "characters a token cannot hold"},
		{"newline in refresh token", `{"refresh_token":"a\n` + secret + `"}`, "", "", time.Time{}, nil, "characters a token cannot hold"},
		{"bad expiry", `{"access_token":"at","expiry":"tomorrow ` + secret + `"}`, "", "", time.Time{}, nil, "expiry tok cannot read"},
		{"negative expires_in", `{"access_token":"at","expires_in":-5}`, "at", "", now.Add(-5 * time.Second), cfgScopes, ""},
		{"zero expires_in", `{"access_token":"at","refresh_token":"rt","expires_in":0}`, "at", "rt", now, cfgScopes, ""},
		{"huge expires_in", `{"access_token":"at","expires_in":1e300}`, "at", "", now.Add(time.Duration(1<<32) * time.Second), cfgScopes, ""},
		{"expires_in not a number", `{"access_token":"at","expires_in":"soon"}`, "", "", time.Time{}, nil, "expiry tok cannot read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := parseImport(tt.in, cfgScopes, now)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				if tokerr.ExitCode(err) != 2 {
					t.Errorf("exit %d, want 2", tokerr.ExitCode(err))
				}
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error quotes the input: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rec.AccessToken != tt.access || rec.RefreshToken != tt.refresh || !rec.Expiry.Equal(tt.expiry) ||
				strings.Join(rec.Scopes, " ") != strings.Join(tt.scopes, " ") || rec.TokenType != "Bearer" || !rec.ObtainedAt.Equal(now) {
				t.Errorf("record = %+v", rec)
			}
		})
	}
}

func TestImportUsable(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	rec := func(at, rt string, exp time.Time) *store.Record {
		return &store.Record{AccessToken: at, RefreshToken: rt, Expiry: exp}
	}
	tests := []struct {
		name string
		r    *store.Record
		want bool
	}{
		{"fresh", rec("at", "rt", now.Add(time.Hour)), true},
		{"under min-ttl", rec("at", "rt", now.Add(30*time.Second)), false},
		{"expired", rec("at", "", now.Add(-time.Hour)), false},
		{"refresh token only", rec("", "rt", time.Time{}), false},
		{"unknown lifetime, refreshable: refresh to learn it", rec("at", "rt", time.Time{}), false},
		{"unknown lifetime, nothing to refresh with", rec("at", "", time.Time{}), true},
	}
	for _, tt := range tests {
		if got := importUsable(tt.r, now, time.Minute); got != tt.want {
			t.Errorf("%s: importUsable = %v, want %v", tt.name, got, tt.want)
		}
	}
}
