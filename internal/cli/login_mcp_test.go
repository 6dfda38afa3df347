package cli

import (
	"errors"
	"fmt"
	"testing"

	"github.com/tok-cli/tok/internal/flow"
)

// A server that forgot tok's registration says so by an error code, on the
// redirect or at the token endpoint; the English around it does not count.
func TestRejectedClient(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&flow.AuthorizationError{Code: "invalid_client"}, true},
		{fmt.Errorf("login: %w", &flow.AuthorizationError{Code: "unauthorized_client", Description: "who?"}), true},
		{&flow.AuthorizationError{Code: "access_denied"}, false},
		{&flow.EndpointError{Endpoint: "token endpoint", Code: "invalid_client"}, true},
		{&flow.EndpointError{Endpoint: "token endpoint", Code: "invalid_grant"}, false},
		{errors.New("provider refused the login: invalid_client"), false},
	}
	for _, tt := range tests {
		if got := rejectedClient(tt.err); got != tt.want {
			t.Errorf("rejectedClient(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
