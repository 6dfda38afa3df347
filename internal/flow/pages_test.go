package flow

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// The stylesheet reaches the browser byte for byte, so the hash in the
// Content-Security-Policy allows it (the browser test checks that it does).
func TestPageStyleMatchesPolicy(t *testing.T) {
	for _, p := range []page{successPage("dex"), failurePage("dex", errors.New("x")), pageRefused, pageOver, pageBadRequest, pageNotFound} {
		body := string(p.render())
		if !strings.Contains(body, "<style>"+pageStyle+"</style>") {
			t.Fatalf("page %q does not carry the stylesheet verbatim", p.Heading)
		}
		for _, want := range []string{`<meta name="viewport" content="width=device-width,initial-scale=1">`, `<meta name="color-scheme" content="light dark">`} {
			if !strings.Contains(body, want) {
				t.Errorf("page %q lacks %s", p.Heading, want)
			}
		}
	}
	sum := sha256.Sum256([]byte(pageStyle))
	if !strings.Contains(contentSecurityPolicy, "style-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") {
		t.Errorf("policy %q does not allow the stylesheet", contentSecurityPolicy)
	}
	if !strings.HasPrefix(contentSecurityPolicy, "default-src 'none';") {
		t.Errorf("policy %q", contentSecurityPolicy)
	}
}

// Every code tok knows has its own sentence; the rest get a generic one.
func TestFailureSentence(t *testing.T) {
	for _, code := range []string{"access_denied", "invalid_request", "unauthorized_client", "unsupported_response_type",
		"invalid_scope", "server_error", "temporarily_unavailable", "interaction_required", "login_required",
		"account_selection_required", "consent_required", "request_not_supported"} {
		got := failureSentence(&AuthorizationError{Code: code, Description: "the provider's own words"})
		if got == sentenceUnknownCode || got == "" || strings.Contains(got, "own words") {
			t.Errorf("%s: %q", code, got)
		}
	}
	if got := failureSentence(&AuthorizationError{Code: "made_up"}); got != sentenceUnknownCode {
		t.Errorf("unknown code: %q", got)
	}
	if got := failureSentence(&EndpointError{Endpoint: "token endpoint", Code: "invalid_grant"}); got != sentenceExchange {
		t.Errorf("exchange: %q", got)
	}
}

// A page's title names tok first, then what happened.
func TestPageTitles(t *testing.T) {
	for p, want := range map[*page]string{
		ptr(successPage("dex")): "<title>tok: logged in</title>",
		&pageRefused:            "<title>tok: not this login</title>",
		&pageNotFound:           "<title>tok</title>",
	} {
		if got := string(p.render()); !strings.Contains(got, want) {
			t.Errorf("%s: no %s in\n%s", p.Heading, want, got)
		}
	}
}

func ptr[T any](v T) *T { return &v }
