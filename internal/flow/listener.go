package flow

import "net/http"

// maxRefusalNotes bounds the refused-callback lines on stderr, so a page
// that floods the listener cannot flood the terminal.
const maxRefusalNotes = 10

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
		c.noteRefusal(refusal)
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
	// See Other moves the browser off the URL that carries the code (or
	// the error), so it stays out of history and reloads; /done says how
	// the login ended.
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
		writePage(w, http.StatusOK, failurePage(c.target, c.flowErr))
	} else {
		writePage(w, http.StatusOK, successPage(c.target))
	}
	c.doneOnce.Do(func() { close(c.done) })
}

// noteRefusal says on stderr that a callback was refused, in one line
// without its parameters: the login keeps waiting.
func (c *callback) noteRefusal(why error) {
	c.notesMu.Lock()
	defer c.notesMu.Unlock()
	c.notes++
	switch {
	case c.notes < maxRefusalNotes:
		c.note("refused a browser callback (%v); still waiting", why)
	case c.notes == maxRefusalNotes:
		c.note("refused more browser callbacks; not noting further ones")
	}
}
