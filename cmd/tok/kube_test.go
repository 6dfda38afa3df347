package main

import (
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
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

// tokenChecker says what kind of token a provider issued bearer is
// ("access_token", "id_token"), or "" when it did not.
type tokenChecker func(r *http.Request, bearer string) string

// providerTokens accepts access tokens that the provider's userinfo
// endpoint honours and ID tokens whose signature (keys at jwksURL),
// issuer, audience clientID and expiry check out.
func providerTokens(issuer, userinfoURL, jwksURL, clientID string) tokenChecker {
	verifier := rp.NewIDTokenVerifier(issuer, clientID, rp.NewRemoteKeySet(http.DefaultClient, jwksURL))
	return func(r *http.Request, bearer string) string {
		if _, ok := userinfoSubject(r, userinfoURL, bearer); ok {
			return "access_token"
		}
		if _, err := rp.VerifyIDToken[*oidc.IDTokenClaims](r.Context(), bearer, verifier); err == nil {
			return "id_token"
		}
		return ""
	}
}

// startKubeAPI runs a small Kubernetes-like API server over TLS on
// 127.0.0.1: GET /version answers only a bearer token that check accepts.
// Each accepted request is reported to seen as "KIND PATH USER-AGENT".
func startKubeAPI(check tokenChecker, seen func(string)) *httptest.Server {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kind := ""
		if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			kind = check(r, bearer)
		}
		w.Header().Set("Content-Type", "application/json")
		if kind == "" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Unauthorized","code":401}`)
			return
		}
		// The user agent tells kubectl from the Google Cloud SDK's kubectl
		// dispatcher, which asks /version first.
		seen(kind + " " + r.URL.Path + " " + r.UserAgent())
		if r.URL.Path != "/version" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		fmt.Fprint(w, `{"major":"1","minor":"32","gitVersion":"v1.32.0-tok-test","platform":"linux/amd64"}`)
	}))
	srv.StartTLS()
	return srv
}

// kubeCA is the server's certificate as kubeconfig's
// certificate-authority-data.
func kubeCA(srv *httptest.Server) string {
	return base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
}

// kubectlExecVersion is the newest ExecCredential version the kubectl on
// PATH takes: v1 from kubectl 1.22, v1beta1 before (Debian bookworm's
// kubernetes-client is 1.20).
func kubectlExecVersion() (string, error) {
	out, err := exec.Command("kubectl", "version", "--client", "-o", "json").Output()
	if err != nil {
		return "", fmt.Errorf("kubectl version: %v", err)
	}
	var v struct {
		ClientVersion struct{ Major, Minor string } `json:"clientVersion"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		return "", fmt.Errorf("kubectl version: %v", err)
	}
	minor, _ := strconv.Atoi(strings.TrimRight(v.ClientVersion.Minor, "+"))
	if v.ClientVersion.Major == "1" && minor < 22 {
		return "client.authentication.k8s.io/v1beta1", nil
	}
	return "client.authentication.k8s.io/v1", nil
}

// kubeapi FILE... runs startKubeAPI against the script's provider for the
// rest of the script. It writes its URL over KUBEAPI, its CA over KUBECA
// and the ExecCredential version kubectl takes over KUBEEXEC (also set as
// $KUBEEXEC) in each FILE, and appends each accepted request to
// $WORK/kubeapi.log.
func cmdKubeAPI(ts *testscript.TestScript, neg bool, args []string) {
	op := server(ts)
	var mu sync.Mutex
	logPath := ts.MkAbs("kubeapi.log")
	srv := startKubeAPI(providerTokens(op.Issuer, op.Issuer+"/userinfo", op.Issuer+"/keys", testop.PublicClientID), func(line string) {
		mu.Lock()
		defer mu.Unlock()
		if f, err := os.OpenFile(logPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600); err == nil {
			fmt.Fprintln(f, line)
			f.Close()
		}
	})
	ts.Defer(srv.Close)
	version, err := kubectlExecVersion()
	ts.Check(err)
	ts.Setenv("KUBEEXEC", version)
	for _, f := range args {
		replaceInFile(ts, f, "KUBEAPI", srv.URL)
		replaceInFile(ts, f, "KUBECA", kubeCA(srv))
		replaceInFile(ts, f, "KUBEEXEC", version)
	}
}
