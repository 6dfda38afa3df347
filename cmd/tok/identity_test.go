package main

import (
	"encoding/json"
	"net"
	"net/http"

	"github.com/rogpeppe/go-internal/testscript"
)

func init() {
	scriptCommands["userapi"] = cmdUserAPI
}

// userapi FILE... serves a GitHub-like user API (GET /user answers login,
// numeric id and name, like api.github.com/user) on 127.0.0.1 for the
// rest of the script, answering only tokens the provider's userinfo
// endpoint accepts; it writes its URL over USERAPI in each FILE.
func cmdUserAPI(ts *testscript.TestScript, neg bool, args []string) {
	op := server(ts)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /user", func(w http.ResponseWriter, r *http.Request) {
		check, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, op.Issuer+"/userinfo", nil)
		check.Header.Set("Authorization", r.Header.Get("Authorization"))
		resp, err := http.DefaultClient.Do(check)
		if err != nil || resp.StatusCode != http.StatusOK {
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
			return
		}
		resp.Body.Close()
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(map[string]any{
			"login": "octocat", "id": 583231, "name": "The Octocat", "email": nil, "type": "User",
		})
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	srv := &http.Server{Handler: mux}
	go srv.Serve(l)
	ts.Defer(func() { srv.Close() })
	for _, f := range args {
		replaceInFile(ts, f, "USERAPI", "http://"+l.Addr().String()+"/user")
	}
}
