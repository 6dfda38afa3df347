package wire

import (
	"cmp"
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
)

// Redacted stands in a message for a secret the provider echoed.
const Redacted = "[redacted]"

// Secrets are the secret values one request to a provider carried: the
// refresh token, code, code_verifier, device_code, subject_token, client
// secret. A provider may echo any of them in its error or
// error_description (RFC 6749 §5.2), which tok prints; Clean hides them,
// so that no secret reaches an error message (README "Promises"). The
// zero value hides nothing.
type Secrets []string

// With is s and values, for one request.
func (s Secrets) With(values ...string) Secrets {
	return append(slices.Clip(s), values...)
}

// Clean is Clean(text, max) with every secret of s, as sent and in its
// URL-encoded forms (application/x-www-form-urlencoded and path
// escaping), replaced by Redacted. Control characters are dropped before
// the secrets are looked for, so that none can split one, and the cut to
// max runes comes after, so that none is shown in part.
func (s Secrets) Clean(text string, max int) string {
	text = Clean(text, len(text))
	if r := s.replacer(); r != nil {
		text = r.Replace(text)
	}
	return Clean(text, max)
}

// replacer replaces every form of every secret in one pass, longest
// first, so that a secret inside another is not half replaced.
func (s Secrets) replacer() *strings.Replacer {
	var forms []string
	for _, v := range s {
		if v != "" {
			forms = append(forms, v, url.QueryEscape(v), url.PathEscape(v))
		}
	}
	if len(forms) == 0 {
		return nil
	}
	slices.SortFunc(forms, func(a, b string) int { return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b)) })
	forms = slices.Compact(forms)
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, Redacted)
	}
	return strings.NewReplacer(pairs...)
}

// Secrets are what c's authentication puts in a request: the client
// secret and, with HTTP Basic, the credentials as the Authorization
// header carries them (RFC 7617 §2). A public client has none.
func (c Client) Secrets() Secrets {
	s := c.secret()
	if s == "" {
		return nil
	}
	if !c.Basic() {
		return Secrets{s}
	}
	basic := base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(c.ID) + ":" + url.QueryEscape(s)))
	return Secrets{s, basic}
}
