package tokerr

import (
	"errors"
	"fmt"
	"testing"
)

func TestExitCodeAndHint(t *testing.T) {
	base := errors.New("boom")
	login := LoginNeededFor("dex:work", base)
	tests := []struct {
		name    string
		err     error
		code    int
		hint    string
		message string
	}{
		{"nil", nil, 0, "", ""},
		{"plain", base, 1, "", "boom"},
		{"usage", New(Usage, "unknown provider %q", "x").WithHint("run: tok providers"), 2, "run: tok providers", `unknown provider "x"`},
		{"login needed", login, 4, "run: tok login dex:work", "no usable login for dex:work: boom"},
		{"wrapped by fmt", fmt.Errorf("print: %w", login), 4, "run: tok login dex:work", "print: no usable login for dex:work: boom"},
		{"outer code wins", Wrap(StoreUnavailable, login, "keyring"), 5, "run: tok login dex:work", "keyring: no usable login for dex:work: boom"},
		{"wrap nil", Wrap(Usage, nil, "x"), 0, "", ""},
		{"no message", &Error{Code: Usage, Err: base}, 2, "", "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExitCode(tt.err); got != tt.code {
				t.Errorf("ExitCode = %d, want %d", got, tt.code)
			}
			if got := HintOf(tt.err); got != tt.hint {
				t.Errorf("HintOf = %q, want %q", got, tt.hint)
			}
			if tt.err != nil && tt.err.Error() != tt.message {
				t.Errorf("Error() = %q, want %q", tt.err.Error(), tt.message)
			}
		})
	}
	if !errors.Is(login, base) {
		t.Error("LoginNeededFor must keep its cause for errors.Is")
	}
}
