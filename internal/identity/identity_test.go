package identity

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tok-cli/tok/internal/store"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, doc string
		want      store.Identity
	}{
		{"oidc", `{"sub":"248289761001","email":"jane@example.com","preferred_username":"j.doe","name":"Jane Doe"}`,
			store.Identity{Sub: "248289761001", Email: "jane@example.com", Username: "j.doe", Name: "Jane Doe"}},
		{"github", `{"login":"octocat","id":583231,"name":"The Octocat","email":null,"site_admin":false}`,
			store.Identity{Sub: "583231", Username: "octocat", Name: "The Octocat"}},
		{"gitlab", `{"id":1,"username":"john_smith","name":"John Smith","email":"john@example.com"}`,
			store.Identity{Sub: "1", Email: "john@example.com", Username: "john_smith", Name: "John Smith"}},
		{"wrong types ignored", `{"sub":{"x":1},"email":7,"name":["a"],"id":1.5}`, store.Identity{}},
		{"escapes dropped", `{"name":"\u001b[31mMallory\u202e\u0007"}`, store.Identity{Name: "[31mMallory"}},
		{"long cut", `{"name":"` + strings.Repeat("é", 500) + `"}`, store.Identity{Name: strings.Repeat("é", maxField)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.doc))
			if err != nil || got != tt.want {
				t.Errorf("Parse = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
	if _, err := Parse([]byte(`[1]`)); err == nil {
		t.Error("an array parsed")
	}
}

func TestFromIDToken(t *testing.T) {
	payload := base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"https://op","sub":"alice","email":"alice@example.test","aud":"x"}`))
	got := FromIDToken("eyJhbGciOiJSUzI1NiJ9." + payload + ".c2ln")
	if got != (store.Identity{Sub: "alice", Email: "alice@example.test"}) {
		t.Errorf("got %+v", got)
	}
	for _, bad := range []string{"", "a.b", "a.%%%.c", "a." + base64.RawURLEncoding.EncodeToString([]byte("nope")) + ".c"} {
		if got := FromIDToken(bad); !got.IsZero() {
			t.Errorf("FromIDToken(%q) = %+v", bad, got)
		}
	}
}

func TestIDTokenExpiry(t *testing.T) {
	jwt := func(payload string) string {
		return "h." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".s"
	}
	if got := IDTokenExpiry(jwt(`{"exp":1764529200}`)); got.Unix() != 1764529200 {
		t.Errorf("exp: %v", got)
	}
	for _, bad := range []string{jwt(`{}`), jwt(`{"exp":"soon"}`), jwt(`{"exp":-1}`), jwt(`{"exp":1e300}`), "x"} {
		if got := IDTokenExpiry(bad); !got.IsZero() {
			t.Errorf("%q: %v", bad, got)
		}
	}
}

func TestMerge(t *testing.T) {
	id := store.Identity{Sub: "a", Email: "a@x"}
	if got := Merge(id, store.Identity{Sub: "a", Name: "A", Email: "other@x"}); got != (store.Identity{Sub: "a", Email: "a@x", Name: "A"}) {
		t.Errorf("same subject: %+v", got)
	}
	if got := Merge(id, store.Identity{Sub: "b", Name: "B"}); got != id {
		t.Errorf("another subject was merged: %+v", got)
	}
}

func TestFetch(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			if r.Header.Get("Authorization") != "Bearer at-1" {
				w.WriteHeader(401)
				return
			}
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Write([]byte(`{"sub":"s","name":"N"}`))
		case "/jwt":
			w.Header().Set("Content-Type", "application/jwt")
			w.Write([]byte(`eyJ.eyJ.sig`))
		case "/huge":
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"name":"` + strings.Repeat("a", maxDocument) + `"}`))
		default:
			w.WriteHeader(404)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	if got, err := Fetch(ctx, srv.Client(), srv.URL+"/ok", "at-1"); err != nil || got != (store.Identity{Sub: "s", Name: "N"}) {
		t.Errorf("ok: %+v %v", got, err)
	}
	for _, path := range []string{"/ok-wrong-token", "/jwt", "/huge", "/missing"} {
		tokenFor := "at-1"
		if path == "/ok-wrong-token" {
			path, tokenFor = "/ok", "at-2"
		}
		if got, err := Fetch(ctx, srv.Client(), srv.URL+path, tokenFor); err == nil || strings.Contains(err.Error(), "at-") {
			t.Errorf("%s: %+v %v", path, got, err)
		}
	}
}

// FuzzIdentityClaims feeds userinfo answers and ID token payloads: never a
// panic, and what comes out is one line of valid UTF-8 of bounded length.
func FuzzIdentityClaims(f *testing.F) {
	f.Add([]byte(`{"sub":"a","email":"a@x","preferred_username":"a","name":"A"}`))
	f.Add([]byte(`{"login":"octocat","id":583231}`))
	f.Add([]byte(`{"id":"1e400","username":7}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		id, err := Parse(doc)
		tok := FromIDToken("h." + base64.RawURLEncoding.EncodeToString(doc) + ".s")
		IDTokenExpiry("h." + base64.RawURLEncoding.EncodeToString(doc) + ".s")
		if err != nil && !id.IsZero() {
			t.Fatal("an error with an identity")
		}
		for _, got := range []store.Identity{id, tok} {
			for _, s := range []string{got.Sub, got.Email, got.Username, got.Name} {
				if !utf8.ValidString(s) || strings.ContainsAny(s, "\n\r\x1b") || utf8.RuneCountInString(s) > maxField {
					t.Fatalf("unsafe field %q", s)
				}
			}
		}
	})
}
