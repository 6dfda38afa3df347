//go:build unix

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// git and kubectl take tokens from tok logged in to a real provider that
// is not tok's code (node oidc-provider), as a new user following the
// README would set them up (README "git", "kubectl", "status: who is
// logged in").
func TestRealProviderCredentialHelpers(t *testing.T) {
	t.Parallel()
	for tool, pkg := range map[string]string{"git": "git", "kubectl": "kubernetes-client"} {
		if _, err := exec.LookPath(tool); err != nil {
			msg := fmt.Sprintf("no %s: apt-get install -y %s", tool, pkg)
			if os.Getenv("CI") != "" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	op := startRealOP(t)
	var doc struct {
		Userinfo string `json:"userinfo_endpoint"`
		JWKS     string `json:"jwks_uri"`
	}
	op.get(t, "/.well-known/openid-configuration", &doc)
	work := t.TempDir()
	forge, err := startGitForge(work, doc.Userinfo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(forge.close)
	var mu sync.Mutex
	var seen []string
	api := startKubeAPI(providerTokens(op.issuer, doc.Userinfo, doc.JWKS, "tok-public"), func(line string) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, line)
	})
	t.Cleanup(api.Close)

	e := newTokEnv(t, withEnv("TOK_BROWSER=realbrowse"), withConfigOutsideHome(fmt.Sprintf(`providers:
  real:
    issuer: %s
    client_id: tok-public
    scopes: [openid, offline_access, email]
    flow: browser
    auth_params: {prompt: consent}
    hosts: [%s]
    kube_token: id_token
`, op.issuer, forge.addr)))
	if err := os.MkdirAll(e.home, 0o700); err != nil {
		t.Fatal(err)
	}
	e.run("login", "real")

	var status []struct{ Identity struct{ Sub, Email string } }
	if err := json.Unmarshal([]byte(e.run("status", "real", "--json")), &status); err != nil || len(status) != 1 ||
		status[0].Identity.Sub != "alice" || status[0].Identity.Email != "alice@example.com" {
		t.Errorf("status identity: %+v %v", status, err)
	}

	tool := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = append(append([]string(nil), e.env...), "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1",
			"KUBECONFIG="+filepath.Join(work, "kubeconfig"))
		cmd.Dir = work
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}

	tool("git", "config", "--global", "credential.http://"+forge.addr+".helper", "!tok git-credential")
	tool("git", "clone", "-q", "http://"+forge.addr+"/repo.git", "clone")
	if _, err := os.Stat(filepath.Join(work, "clone", "README")); err != nil {
		t.Errorf("clone: %v", err)
	}
	if log, _ := os.ReadFile(forge.log); !strings.Contains(string(log), "accepted oauth2 alice ") {
		t.Errorf("the forge did not take tok's token:\n%s", log)
	}

	execVersion, err := kubectlExecVersion()
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: real
  cluster: {server: %s, certificate-authority-data: %s}
users:
- name: real
  user:
    exec:
      apiVersion: %s
      command: tok
      args: [kube-credential, real]
      interactiveMode: Never
contexts:
- name: real
  context: {cluster: real, user: real}
current-context: real
`, api.URL, kubeCA(api), execVersion)
	if err := os.WriteFile(filepath.Join(work, "kubeconfig"), []byte(kubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if out := tool("kubectl", "get", "--raw", "/version"); !strings.Contains(out, "v1.32.0-tok-test") {
			t.Errorf("kubectl: %s", out)
		}
	}
	mu.Lock()
	got := strings.Join(seen, "\n")
	mu.Unlock()
	if strings.Count(got, "id_token /version kubectl/") != 2 {
		t.Errorf("the API server did not take the ID token twice:\n%s", got)
	}
	if n, bad := op.refreshes(t); n != 0 || bad != 0 {
		t.Errorf("%d refreshes, %d errors at the provider; want none", n, bad)
	}
}
