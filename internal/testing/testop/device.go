package testop

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"
)

// devicePath is the verification URI of the device authorization grant.
const devicePath = "/device"

// device is one device authorization (RFC 8628, section 3.1).
type device struct {
	state op.DeviceAuthorizationState
	used  bool
}

// normalizeUserCode lets the user type the code without its dash or in
// lower case (RFC 8628, section 6.1).
func normalizeUserCode(code string) string {
	return strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(code))
}

func (s *opStorage) StoreDeviceAuthorization(_ context.Context, clientID, deviceCode, userCode string, expires time.Time, scopes []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	code := normalizeUserCode(userCode)
	if _, ok := s.codes[code]; ok {
		return op.ErrDuplicateUserCode
	}
	s.codes[code] = deviceCode
	s.devices[deviceCode] = &device{state: op.DeviceAuthorizationState{
		ClientID: clientID,
		Scopes:   scopes,
		Expires:  expires,
	}}
	return nil
}

// GetDeviceAuthorizatonState returns a copy of the state, so that the OP
// reads it without racing the user's approval. A device code yields tokens
// once; the OP turns the error into access_denied.
func (s *opStorage) GetDeviceAuthorizatonState(_ context.Context, clientID, deviceCode string) (*op.DeviceAuthorizationState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.devices[deviceCode]
	if !ok || d.state.ClientID != clientID {
		return nil, errors.New("device code not found for client")
	}
	if d.used {
		return nil, errors.New("device code already used")
	}
	if d.state.Done {
		d.used = true
	}
	state := d.state
	state.Scopes = append([]string(nil), d.state.Scopes...)
	return &state, nil
}

// decideDevice records the user's answer for the device holding userCode.
func (s *opStorage) decideDevice(userCode, subject string, approve bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.devices[s.codes[normalizeUserCode(userCode)]]
	if !ok || time.Now().After(d.state.Expires) {
		return errors.New("unknown or expired user code")
	}
	if d.state.Done || d.state.Denied {
		return errors.New("user code already used")
	}
	if !approve {
		d.state.Denied = true
		return nil
	}
	d.state.Done = true
	d.state.Subject = subject
	d.state.AMR = []string{"pwd"}
	d.state.AuthTime = time.Now()
	return nil
}

var devicePage = template.Must(template.New("device").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Device login</title></head><body>
<h1>Device login</h1>
{{if .Error}}<p class="error">{{.Error}}</p>{{end}}
<form method="POST" action="` + devicePath + `">
<label>Code <input name="user_code" value="{{.UserCode}}"></label>
<label>Username <input name="username"></label>
<label>Password <input name="password" type="password"></label>
<button type="submit" name="action" value="allow">Allow</button>
<button type="submit" name="action" value="deny">Deny</button>
</form></body></html>
`))

type devicePageData struct{ UserCode, Error string }

// deviceHandler is the verification page: GET shows the form, prefilled
// from verification_uri_complete; POST logs in and allows or denies.
func (s *opStorage) deviceHandler(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	code := r.Form.Get("user_code")
	if r.Method != http.MethodPost {
		render(w, http.StatusOK, devicePage, devicePageData{UserCode: code})
		return
	}
	user, ok := s.users.check(r.PostForm.Get("username"), r.PostForm.Get("password"))
	if !ok {
		render(w, http.StatusUnauthorized, devicePage, devicePageData{code, "wrong username or password"})
		return
	}
	approve := r.PostForm.Get("action") == "allow"
	if err := s.decideDevice(code, user.ID, approve); err != nil {
		render(w, http.StatusBadRequest, devicePage, devicePageData{code, err.Error()})
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if approve {
		_, _ = w.Write([]byte("device allowed, return to your device\n"))
	} else {
		_, _ = w.Write([]byte("device denied\n"))
	}
}

func render(w http.ResponseWriter, status int, t *template.Template, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = t.Execute(w, data)
}
