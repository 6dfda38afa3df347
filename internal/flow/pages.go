package flow

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
)

// The pages are fixed text and tok's own data (the target's name): nothing
// from the request is ever echoed, so a crafted redirect cannot inject
// markup or leak a code into the page.

// pageStyle is the one stylesheet of every page. The Content-Security-Policy
// allows exactly this text by its hash (CSP Level 3 §8.4), so the policy
// keeps default-src 'none'. Light and dark follow the browser's
// prefers-color-scheme; long targets (MCP URLs) wrap instead of widening
// the page on a phone.
const pageStyle = `:root{color-scheme:light dark;--bg:#f4f5f7;--fg:#1d1f23;--card:#fff;--muted:#5a606b;--ok:#1a7f37;--bad:#b42318}
@media (prefers-color-scheme:dark){:root{--bg:#141619;--fg:#e6e8eb;--card:#1e2125;--muted:#a3a9b3;--ok:#4ac26b;--bad:#ff7b72}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;padding:1.5rem;background:var(--bg);color:var(--fg);font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{width:100%;max-width:32rem;padding:1.75rem 1.5rem;border-radius:.75rem;background:var(--card);box-shadow:0 1px 3px rgba(0,0,0,.15)}
h1{margin:0 0 .75rem;font-size:1.375rem;line-height:1.3}
.ok h1{color:var(--ok)}
.bad h1{color:var(--bad)}
p{margin:.5rem 0 0;overflow-wrap:anywhere}
.hint{color:var(--muted);font-size:.9375rem}
code{font:.9375em ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}`

// contentSecurityPolicy allows nothing but pageStyle.
var contentSecurityPolicy = func() string {
	sum := sha256.Sum256([]byte(pageStyle))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; frame-ancestors 'none'"
}()

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>tok{{with .Title}}: {{.}}{{end}}</title>
<style>{{.Style}}</style>
</head><body><main class="{{.Class}}">
<h1>{{.Heading}}</h1>
{{if .Target}}<p>{{.Before}} <code>{{.Target}}</code>{{.After}}</p>{{end}}
{{range .Lines}}<p>{{.}}</p>
{{end}}{{if .Hint}}<p class="hint">{{.Hint}}</p>{{end}}
</main></body></html>
`))

// page is one answer of the redirect listener.
type page struct {
	Title, Heading string // the title reads "tok: Title", or "tok" when Title is ""
	Class          string // "ok", "bad" or ""
	// Target is the name of what the login is for, set by tok; Before and
	// After are the sentence around it.
	Target, Before, After string
	Lines                 []string
	Hint                  string
	Style                 template.CSS
}

func successPage(target string) page {
	return page{Title: "logged in", Heading: "Login complete", Class: "ok",
		Target: target, Before: "tok has your login for", After: ".",
		Hint: "You can close this tab and return to the terminal."}
}

func failurePage(target string, err error) page {
	return page{Title: "login failed", Heading: "Login failed", Class: "bad",
		Target: target, Before: "tok could not log you in to", After: ".",
		Lines: []string{failureSentence(err)},
		Hint:  "You can close this tab; the terminal says what to do next."}
}

var (
	pageRefused = page{Title: "not this login", Heading: "This link does not match the login tok is waiting for", Class: "bad",
		Hint: "Start again from the address tok printed in the terminal."}
	pageOver       = page{Heading: "This login is already over", Hint: "You can close this tab."}
	pageBadRequest = page{Heading: "Bad request"}
	pageNotFound   = page{Heading: "Not found"}
)

// securityHeaders go on every response of the redirect listener.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// render returns p as an HTML document.
func (p page) render() []byte {
	p.Style = template.CSS(pageStyle)
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, p); err != nil {
		// The template and its data are tok's own: an error is a bug.
		panic(err)
	}
	return b.Bytes()
}

func writePage(w http.ResponseWriter, status int, p page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(p.render())
}
