package testop

import (
	"context"
	"html/template"
	"net/http"
)

var loginPage = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Login</title></head><body>
<h1>Login</h1>
{{if .Error}}<p class="error">{{.Error}}</p>{{end}}
<form method="POST" action="` + loginPath + `">
<input type="hidden" name="authRequestID" value="{{.ID}}">
<label>Username <input name="username"></label>
<label>Password <input name="password" type="password"></label>
<button type="submit">Login</button>
</form></body></html>
`))

type loginPageData struct{ ID, Error string }

// loginHandler is the login UI of the authorization code flow: the OP sends
// the browser here with the id of the authorization request; a good
// password marks the request done and sends the browser back to the OP,
// which redirects to the client with the code.
func loginHandler(s *opStorage, callbackURL func(context.Context, string) string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		id := r.Form.Get("authRequestID")
		if r.Method != http.MethodPost {
			render(w, http.StatusOK, loginPage, loginPageData{ID: id})
			return
		}
		// CheckUsernamePassword marks the request done in the example storage.
		err := s.CheckUsernamePassword(r.PostForm.Get("username"), r.PostForm.Get("password"), id)
		if err != nil {
			render(w, http.StatusUnauthorized, loginPage, loginPageData{id, "wrong username or password"})
			return
		}
		http.Redirect(w, r, callbackURL(r.Context(), id), http.StatusFound)
	}
}
