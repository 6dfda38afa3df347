package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/tokerr"
)

func TestKeyringHint(t *testing.T) {
	tests := []struct {
		goos  string
		cause keyringCause
		want  []string
	}{
		{"linux", causeNoBus, []string{"TOK_STORE=file with TOK_FILE_KEY (tok keygen) or TOK_PASSPHRASE", "dbus-run-session", "gnome-keyring-daemon --unlock"}},
		{"freebsd", causeNoBus, []string{"TOK_STORE=file", "dbus-run-session"}},
		{"linux", causeNoService, []string{"gnome-keyring-daemon --start", "TOK_FILE_KEY"}},
		{"linux", causeLocked, []string{"unlock the keyring", "TOK_STORE=file"}},
		{"linux", causeTimeout, []string{"unlock the keyring", "TOK_STORE=file"}},
		{"linux", causeOther, []string{"TOK_STORE=file", "Secret Service"}},
		{"darwin", causeTimeout, []string{"security unlock-keychain", "TOK_STORE=file"}},
		{"windows", causeOther, []string{"TOK_STORE=file", "Credential Manager"}},
	}
	for _, tt := range tests {
		got := keyringHint(tt.goos, tt.cause)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("keyringHint(%s, %d) = %q, want it to name %q", tt.goos, tt.cause, got, w)
			}
		}
		if strings.ContainsAny(got, "\n\r") {
			t.Errorf("keyringHint(%s, %d) spans lines: %q", tt.goos, tt.cause, got)
		}
	}
	if strings.Contains(keyringHint("darwin", causeNoBus), "dbus") || strings.Contains(keyringHint("windows", causeNoBus), "dbus") {
		t.Error("a D-Bus remedy offered on a host without D-Bus")
	}
}

// errKV fails every call with err, as go-keyring does when D-Bus is missing.
type errKV struct{ err error }

func (e errKV) Get(string, string) (string, error) { return "", e.err }
func (e errKV) Set(string, string, string) error   { return e.err }
func (e errKV) Delete(string, string) error        { return e.err }

func TestKeyringUnreachableNamesRemedy(t *testing.T) {
	tests := []struct {
		name string
		err  error
		msg  string
		hint string
	}{
		{"no bus", errNoSessionBus, "DBUS_SESSION_BUS_ADDRESS is unset", "TOK_FILE_KEY"},
		{"no service", errors.New(`The name org.freedesktop.secrets was not provided by any .service files`), "no secret service", "TOK_STORE=file"},
		{"dial", errors.New("dial unix /run/user/1000/bus: connect: no such file or directory"), "cannot connect to the d-bus session bus", "TOK_STORE=file"},
		{"locked", errors.New("failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'"), "locked", "unlock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newKeyring("tok-test", time.Second, errKV{tt.err})
			_, err := b.Get(context.Background(), "k")
			if tokerr.ExitCode(err) != 5 {
				t.Fatalf("exit %d, want 5: %v", tokerr.ExitCode(err), err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
			hint := tokerr.HintOf(err)
			if !strings.Contains(hint, tt.hint) {
				t.Errorf("hint %q does not name %q", hint, tt.hint)
			}
			if strings.ContainsAny(err.Error()+hint, "\n\r") {
				t.Errorf("error spans lines: %q; %q", err, hint)
			}
		})
	}
}
