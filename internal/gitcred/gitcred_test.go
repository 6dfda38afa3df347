package gitcred

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, in string
		want     Request
	}{
		{"get", "protocol=https\nhost=github.com\n\n", Request{Protocol: "https", Host: "github.com"}},
		{"no blank line", "protocol=https\nhost=github.com", Request{Protocol: "https", Host: "github.com"}},
		{"erase", "protocol=http\nhost=127.0.0.1:8080\npath=repo.git\nusername=oauth2\npassword=a=b\n\n",
			Request{Protocol: "http", Host: "127.0.0.1:8080", Path: "repo.git", Username: "oauth2", Password: "a=b"}},
		{"crlf and extras", "capability[]=authtype\r\nprotocol=https\r\nhost=gitlab.com\r\nwwwauth[]=Basic realm=x\r\n\r\n",
			Request{Protocol: "https", Host: "gitlab.com"}},
		{"url", "url=https://me@git.example.com:8443/group/repo.git\n\n",
			Request{Protocol: "https", Host: "git.example.com:8443", Path: "group/repo.git", Username: "me"}},
		{"stops at blank line", "host=a\n\nhost=b\n", Request{Host: "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tt.in))
			if err != nil || *got != tt.want {
				t.Errorf("Parse = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
	for _, bad := range []string{"noequals\n", "=x\n", "host=a\x00b\n", strings.Repeat("a=b\n", maxLines+1), "host=" + strings.Repeat("x", maxLine+1)} {
		if _, err := Parse(strings.NewReader(bad)); err == nil {
			t.Errorf("Parse(%.30q) succeeded", bad)
		}
	}
}

func TestHostName(t *testing.T) {
	for in, want := range map[string]string{"GitHub.com": "github.com", "127.0.0.1:8080": "127.0.0.1", "[::1]:80": "::1", "[::1]": "::1"} {
		if got := (&Request{Host: in}).HostName(); got != want {
			t.Errorf("%s: %q", in, got)
		}
	}
}

func TestAnswer(t *testing.T) {
	var b bytes.Buffer
	(&Answer{Username: "x-access-token", Password: "tok", Expiry: time.Unix(1764529200, 0)}).Write(&b)
	if want := "username=x-access-token\npassword=tok\npassword_expiry_utc=1764529200\n"; b.String() != want {
		t.Errorf("%q", b.String())
	}
}

// FuzzParseRequest feeds what git (or anything on stdin) might send:
// never a panic, and no parsed field holds a newline or NUL.
func FuzzParseRequest(f *testing.F) {
	f.Add("protocol=https\nhost=github.com\n\n")
	f.Add("url=https://u@h:1/p\npassword=x\n")
	f.Add("capability[]=authtype\r\nwwwauth[]=Bearer\r\n\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		r, err := Parse(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, s := range []string{r.Protocol, r.Host, r.Path, r.Username, r.Password} {
			if strings.ContainsAny(s, "\n\x00") {
				t.Fatalf("field %q", s)
			}
		}
		r.HostName()
	})
}
