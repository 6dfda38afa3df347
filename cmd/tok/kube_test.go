package main

import (
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/zitadel/oidc/v3/pkg/client/rp"
	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/tok-cli/tok/internal/testing/testop"
)

func init() {
	scriptCommands["kubeapi"] = cmdKubeAPI
}

// The scripts that drive kubectl and git skip where they are missing
// ([!exec:kubectl] skip); CI installs both, so there their absence fails.
func TestCredentialToolsUnderCI(t *testing.T) {
	t.Parallel()
	if os.Getenv("CI") == "" {
		t.Skip("only under CI")
	}
	for tool, pkg := range map[string]string{"kubectl": "kubernetes-client", "git": "git"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Errorf("no %s under CI: apt-get install -y %s", tool, pkg)
		}
	}
}

// kubeapi FILE... runs a small Kubernetes-like API server over TLS on
// 127.0.0.1 for the rest of the script: GET /version answers only a bearer
// token the provider issued, an access token its userinfo endpoint accepts
// or an ID token whose signature, issuer, audience and expiry check out.
// It writes its URL over KUBEAPI and its CA (base64 PEM) over KUBECA in
// each FILE, and appends the kind of each accepted token, the path and
// the User-Agent to $WORK/kubeapi.log.
func cmdKubeAPI(ts *testscript.TestScript, neg bool, args []string) {
	op := server(ts)
	verifier := rp.NewIDTokenVerifier(op.Issuer, testop.PublicClientID, rp.NewRemoteKeySet(http.DefaultClient, op.Issuer+"/keys"))
	var mu sync.Mutex
	logPath := ts.MkAbs("kubeapi.log")
	accepted := func(kind string) {
		mu.Lock()
		defer mu.Unlock()
		if f, err := os.OpenFile(logPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600); err == nil {
			fmt.Fprintln(f, kind)
			f.Close()
		}
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kind := ""
		if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			if userinfoAccepts(r, op.Issuer, bearer) {
				kind = "access_token"
			} else if _, err := rp.VerifyIDToken[*oidc.IDTokenClaims](r.Context(), bearer, verifier); err == nil {
				kind = "id_token"
			}
		}
		w.Header().Set("Content-Type", "application/json")
		if kind == "" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Unauthorized","code":401}`)
			return
		}
		accepted(kind + " " + r.URL.Path + " " + r.UserAgent()) // the Google Cloud SDK kubectl dispatcher asks /version first
		if r.URL.Path != "/version" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		fmt.Fprint(w, `{"major":"1","minor":"32","gitVersion":"v1.32.0-tok-test","platform":"linux/amd64"}`)
	}))
	srv.StartTLS()
	ts.Defer(srv.Close)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	for _, f := range args {
		replaceInFile(ts, f, "KUBEAPI", srv.URL)
		replaceInFile(ts, f, "KUBECA", base64.StdEncoding.EncodeToString(ca))
	}
}

// userinfoAccepts asks the provider whether bearer is an access token it
// issued and still honours.
func userinfoAccepts(r *http.Request, issuer, bearer string) bool {
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, issuer+"/userinfo", nil)
	if err != nil {
		return false
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
