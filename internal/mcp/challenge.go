package mcp

import (
	"strings"
)

// Challenge is one challenge of a WWW-Authenticate header (RFC 9110
// §11.6.1): a scheme and its parameters, names lower-cased.
type Challenge struct {
	Scheme string
	Params map[string]string
}

// ParseChallenges reads every challenge in the given WWW-Authenticate
// header values. A header may hold several challenges separated by commas,
// and parameter values may be tokens or quoted strings with backslash
// escapes. Malformed input yields what could be read, never a panic.
func ParseChallenges(values []string) []Challenge {
	var out []Challenge
	for _, v := range values {
		out = append(out, parseHeader(v)...)
	}
	return out
}

// Bearer returns the first Bearer challenge, or nil.
func Bearer(cs []Challenge) *Challenge {
	for i := range cs {
		if strings.EqualFold(cs[i].Scheme, "bearer") {
			return &cs[i]
		}
	}
	return nil
}

func parseHeader(s string) []Challenge {
	var out []Challenge
	p := &lexer{s: s}
	for {
		p.skip(" \t,")
		if p.done() {
			return out
		}
		scheme := p.token()
		if scheme == "" {
			return out // not a challenge: give up on the rest
		}
		c := Challenge{Scheme: scheme, Params: map[string]string{}}
		p.params(c.Params)
		out = append(out, c)
	}
}

type lexer struct {
	s string
	i int
}

func (p *lexer) done() bool { return p.i >= len(p.s) }

func (p *lexer) skip(set string) {
	for p.i < len(p.s) && strings.IndexByte(set, p.s[p.i]) >= 0 {
		p.i++
	}
}

// token reads an RFC 9110 token (tchar) and returns "" when there is none.
func (p *lexer) token() string {
	start := p.i
	for p.i < len(p.s) && isTchar(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

// params reads auth-params (or a token68, which is skipped) up to the
// start of the next challenge: a token followed by a space and not by '='.
func (p *lexer) params(into map[string]string) {
	for {
		p.skip(" \t,")
		if p.done() {
			return
		}
		save := p.i
		name := p.token()
		if name == "" {
			// token68 characters outside tchar, or junk: skip to a comma.
			p.toComma()
			continue
		}
		if !p.done() && strings.IndexByte(" \t=,", p.s[p.i]) < 0 {
			p.toComma() // a token68 such as "abc/def": not a parameter
			continue
		}
		p.skip(" \t")
		if p.done() || p.s[p.i] != '=' {
			if p.done() || p.s[p.i] == ',' {
				continue // a bare token68 such as "abc"; ignore it
			}
			p.i = save // next challenge's scheme
			return
		}
		p.i++ // '='
		if p.i < len(p.s) && p.s[p.i] == '=' {
			// token68 padding ("abc==")
			p.toComma()
			continue
		}
		p.skip(" \t")
		var val string
		if p.i < len(p.s) && p.s[p.i] == '"' {
			val = p.quoted()
		} else {
			val = p.token()
		}
		key := strings.ToLower(name)
		if _, dup := into[key]; !dup {
			into[key] = val
		}
	}
}

func (p *lexer) toComma() {
	for p.i < len(p.s) && p.s[p.i] != ',' {
		p.i++
	}
}

// quoted reads a quoted-string (RFC 9110 §5.6.4) starting at '"'.
func (p *lexer) quoted() string {
	var b strings.Builder
	p.i++ // opening quote
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '\\' && p.i+1 < len(p.s):
			b.WriteByte(p.s[p.i+1])
			p.i += 2
		case c == '"':
			p.i++
			return b.String()
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return b.String()
}

func isTchar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
