package kubecred

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestAPIVersion(t *testing.T) {
	tests := []struct{ info, want, err string }{
		{"", V1, ""},
		{`{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}`, V1, ""},
		{`{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{}}`, V1beta1, ""},
		{`{"kind":"ExecCredential"}`, V1, ""},
		{`{"apiVersion":"client.authentication.k8s.io/v1alpha1"}`, "", "asks for"},
		{`not json`, "", "not an ExecCredential"},
	}
	for _, tt := range tests {
		got, err := APIVersion(tt.info)
		if got != tt.want || (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("APIVersion(%q) = %q, %v; want %q, %q", tt.info, got, err, tt.want, tt.err)
		}
	}
}

func TestNew(t *testing.T) {
	exp := time.Date(2026, 11, 30, 19, 0, 0, 500, time.FixedZone("x", 3600))
	b, _ := json.Marshal(New(V1, "tok-1", exp))
	want := `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false},"status":{"expirationTimestamp":"2026-11-30T18:00:00Z","token":"tok-1"}}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	b, _ = json.Marshal(New(V1beta1, "tok-1", time.Time{}))
	if strings.Contains(string(b), "expirationTimestamp") {
		t.Errorf("zero expiry written: %s", b)
	}
}

// FuzzExecInfo feeds KUBERNETES_EXEC_INFO values: never a panic, only the
// two versions tok writes, and errors of one line.
func FuzzExecInfo(f *testing.F) {
	f.Add(`{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":true,"cluster":{"server":"https://127.0.0.1:6443"}}}`)
	f.Add(`{"apiVersion":"client.authentication.k8s.io/v1beta1"}`)
	f.Add(`{"apiVersion":"\u001b[31mx"}`)
	f.Fuzz(func(t *testing.T, info string) {
		v, err := APIVersion(info)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r\x1b") {
				t.Fatalf("error %q", err)
			}
			return
		}
		if v != V1 && v != V1beta1 {
			t.Fatalf("version %q", v)
		}
	})
}
