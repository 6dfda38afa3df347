package mcp

import (
	"reflect"
	"testing"
)

func TestParseChallenges(t *testing.T) {
	tests := []struct {
		name   string
		header []string
		want   []Challenge
	}{
		{"bearer with quoted params", []string{`Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read files:write"`},
			[]Challenge{{"Bearer", map[string]string{"resource_metadata": "https://mcp.example.com/.well-known/oauth-protected-resource/mcp", "scope": "files:read files:write"}}}},
		{"token value and odd spacing", []string{`Bearer   error=invalid_token ,scope = "a"`},
			[]Challenge{{"Bearer", map[string]string{"error": "invalid_token", "scope": "a"}}}},
		{"escapes and commas inside quotes", []string{`Bearer error_description="say \"no\", twice", scope="x"`},
			[]Challenge{{"Bearer", map[string]string{"error_description": `say "no", twice`, "scope": "x"}}}},
		{"several schemes in one header", []string{`Basic realm="api", Bearer realm="mcp", scope="s1", DPoP algs="ES256"`},
			[]Challenge{
				{"Basic", map[string]string{"realm": "api"}},
				{"Bearer", map[string]string{"realm": "mcp", "scope": "s1"}},
				{"DPoP", map[string]string{"algs": "ES256"}},
			}},
		{"several headers", []string{`Basic realm="x"`, `bearer scope="y"`},
			[]Challenge{{"Basic", map[string]string{"realm": "x"}}, {"bearer", map[string]string{"scope": "y"}}}},
		{"scheme alone", []string{`Bearer`}, []Challenge{{"Bearer", map[string]string{}}}},
		{"token68", []string{`Negotiate abc/def==, Bearer scope="z"`},
			[]Challenge{{"Negotiate", map[string]string{}}, {"Bearer", map[string]string{"scope": "z"}}}},
		{"parameter names case-insensitive, first wins", []string{`Bearer Scope="a", scope="b"`},
			[]Challenge{{"Bearer", map[string]string{"scope": "a"}}}},
		{"unterminated quote", []string{`Bearer scope="a b`}, []Challenge{{"Bearer", map[string]string{"scope": "a b"}}}},
		{"empty", []string{""}, nil},
		{"junk", []string{`="x"`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseChallenges(tt.header)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseChallenges(%q)\n got %#v\nwant %#v", tt.header, got, tt.want)
			}
		})
	}
}

func TestBearer(t *testing.T) {
	cs := ParseChallenges([]string{`Basic realm="a", BEARER scope="s"`})
	b := Bearer(cs)
	if b == nil || b.Params["scope"] != "s" {
		t.Fatalf("Bearer() = %#v", b)
	}
	if Bearer(ParseChallenges([]string{`Basic realm="a"`})) != nil {
		t.Error("found a Bearer challenge in a Basic one")
	}
}

func FuzzParseChallenges(f *testing.F) {
	f.Add(`Bearer resource_metadata="https://x/.well-known/oauth-protected-resource", scope="a b"`)
	f.Add(`Basic realm="\"", Bearer x=,y`)
	f.Fuzz(func(t *testing.T, h string) {
		ParseChallenges([]string{h})
	})
}
