package store

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

const testSecret = "gho_TOPSECRETTOPSECRET"

func testRecord() *Record {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	return &Record{
		AccessToken: testSecret, RefreshToken: "r_" + testSecret, IDToken: "eyJ.id",
		TokenType: "Bearer", Expiry: now.Add(time.Hour), Scopes: []string{"openid", "email"},
		ObtainedAt: now, Issuer: "https://issuer.example", ClientID: "cid",
	}
}

func TestRecordRoundTrip(t *testing.T) {
	r := testRecord()
	b, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnmarshalRecord(b)
	if err != nil {
		t.Fatal(err)
	}
	want := *r
	want.Version = RecordVersion
	if !reflect.DeepEqual(got, &want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, &want)
	}
	if !got.Refreshable() || got.TTL(r.ObtainedAt) != time.Hour {
		t.Errorf("Refreshable %v, TTL %s", got.Refreshable(), got.TTL(r.ObtainedAt))
	}
	if (&Record{}).TTL(time.Now()) < 100*365*24*time.Hour {
		t.Error("a token without expiry should never expire")
	}
}

func TestRecordUnreadable(t *testing.T) {
	valid, _ := testRecord().Marshal()
	tests := []struct {
		name    string
		stored  string
		corrupt bool // else a version error
	}{
		{"garbage", "not json " + testSecret, true},
		{"truncated", string(valid[:len(valid)/2]), true},
		{"empty", "", true},
		{"no version", `{"access_token":"` + testSecret + `"}`, true},
		{"no tokens", `{"version":1,"token_type":"` + testSecret + `"}`, true},
		{"wrong type", `{"version":"1","access_token":"` + testSecret + `"}`, true},
		{"future version", `{"version":99,"access_token":"` + testSecret + `"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(&memBackend{m: map[string][]byte{TokenKey("p", "a"): []byte(tt.stored)}}, nil)
			_, err := s.Load(context.Background(), "p", "a")
			if err == nil {
				t.Fatal("Load succeeded")
			}
			if errors.Is(err, ErrCorrupt) != tt.corrupt {
				t.Errorf("errors.Is(ErrCorrupt) = %v for %v", !tt.corrupt, err)
			}
			if !tt.corrupt && !strings.Contains(err.Error(), "upgrade tok") {
				t.Errorf("version error without advice: %v", err)
			}
			if strings.Contains(err.Error(), "TOPSECRET") || strings.Contains(err.Error(), "{") {
				t.Errorf("error echoes the stored bytes: %v", err)
			}
		})
	}
}
