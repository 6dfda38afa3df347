package flow

import (
	"net/http"
)

// The pages are fixed text: nothing from the request is ever echoed, so a
// crafted redirect cannot inject markup or leak a code into the page.
const (
	pageSuccess = `<!doctype html><meta charset="utf-8"><title>tok: logged in</title>` +
		`<h1>Login complete</h1><p>tok has your login. You can close this tab and return to the terminal.</p>`
	pageFailed = `<!doctype html><meta charset="utf-8"><title>tok: login failed</title>` +
		`<h1>Login failed</h1><p>See the terminal for what went wrong. You can close this tab.</p>`
	pageRefused = `<!doctype html><meta charset="utf-8"><title>tok: not this login</title>` +
		`<h1>This link does not match the login tok is waiting for</h1>` +
		`<p>Start again from the address tok printed in the terminal.</p>`
	pageOver = `<!doctype html><meta charset="utf-8"><title>tok</title>` +
		`<h1>This login is already over</h1><p>You can close this tab.</p>`
	pageBadRequest = `<!doctype html><meta charset="utf-8"><title>tok</title><h1>Bad request</h1>`
	pageNotFound   = `<!doctype html><meta charset="utf-8"><title>tok</title><h1>Not found</h1>`
)

// securityHeaders go on every response of the redirect listener.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

func writePage(w http.ResponseWriter, status int, page string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(page))
}

func (c *callback) handler() http.Handler {
	return securityHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A Host other than our own address means a DNS rebinding page or a
		// confused client, not the browser the provider redirected.
		if r.Host != c.host {
			writePage(w, http.StatusBadRequest, pageBadRequest)
			return
		}
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			writePage(w, http.StatusMethodNotAllowed, pageBadRequest)
			return
		}
		switch r.URL.Path {
		case "/callback":
			c.serveCallback(w, r)
		case "/done":
			c.serveDone(w)
		default:
			writePage(w, http.StatusNotFound, pageNotFound)
		}
	}))
}

func (c *callback) serveCallback(w http.ResponseWriter, r *http.Request) {
	o, refusal := c.judge(r.URL.Query())
	if refusal != nil {
		writePage(w, http.StatusBadRequest, pageRefused)
		return
	}
	o.viaBrowser = true
	if !c.deliver(o) {
		writePage(w, http.StatusBadRequest, pageOver)
		return
	}
	select {
	case <-c.finished:
	case <-r.Context().Done():
		return
	}
	if c.flowErr != nil {
		writePage(w, http.StatusBadRequest, pageFailed)
		return
	}
	// See Other moves the browser off the URL that carries the code, so it
	// stays out of history and reloads.
	http.Redirect(w, r, "/done", http.StatusSeeOther)
}

func (c *callback) serveDone(w http.ResponseWriter) {
	select {
	case <-c.finished:
	default:
		writePage(w, http.StatusNotFound, pageNotFound)
		return
	}
	if c.flowErr != nil {
		writePage(w, http.StatusNotFound, pageNotFound)
		return
	}
	writePage(w, http.StatusOK, pageSuccess)
	c.doneOnce.Do(func() { close(c.done) })
}
