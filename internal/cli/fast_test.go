package cli

// The fast tier of tok's command tests: App runs in-process against an
// httptest authorization server and an in-memory store, so the error
// paths of the verbs (exit status and the one line on stderr, README "Exit
// status") are checked in milliseconds. The end-to-end scripts in
// testdata/script run the same verbs as a real process against a real
// provider.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/audit"
	"github.com/tok-cli/tok/internal/testing/memstore"
	"github.com/tok-cli/tok/internal/tokerr"
)

// fakeOP is a token and revocation endpoint that answers each grant as
// the test sets: tokens by default, else the status and body given.
type fakeOP struct {
	*httptest.Server
	mu      sync.Mutex
	answers map[string]answer // by grant_type, and "revoke"
	n       int
}

type answer struct {
	status      int
	contentType string
	body        string
}

func newFakeOP(t *testing.T) *fakeOP {
	op := &fakeOP{answers: map[string]answer{}}
	op.Server = httptest.NewServer(http.HandlerFunc(op.serve))
	t.Cleanup(op.Close)
	return op
}

// answer makes the endpoint answer grant (or "revoke") with status and a
// JSON body from now on.
func (op *fakeOP) answer(grant string, status int, body string) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.answers[grant] = answer{status, "application/json", body}
}

func (op *fakeOP) serve(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	key := r.PostForm.Get("grant_type")
	if r.URL.Path == "/revoke" {
		key = "revoke"
	}
	op.mu.Lock()
	a, set := op.answers[key]
	op.n++
	n := op.n
	op.mu.Unlock()
	if set {
		w.Header().Set("Content-Type", a.contentType)
		w.WriteHeader(a.status)
		fmt.Fprint(w, echoed(a.body, r))
		return
	}
	if key == "revoke" {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"access_token": fmt.Sprintf("%s-at-%d", secretMark, n),
		"refresh_token": fmt.Sprintf("%s-rt-%d", secretMark, n), "token_type": "Bearer", "expires_in": 3600})
}

// echoed is a hostile provider's body: $refresh_token and $client_secret
// become what the request carried, as a provider that repeats the request
// in its error_description would answer.
func echoed(body string, r *http.Request) string {
	_, basic, _ := r.BasicAuth()
	secret := r.PostForm.Get("client_secret")
	if secret == "" {
		secret = basic
	}
	return strings.NewReplacer("$refresh_token", r.PostForm.Get("refresh_token"), "$client_secret", secret).Replace(body)
}

// secretMark starts every token and secret the fast tier hands tok: no
// error output may hold it.
const secretMark = "SECRET7f3a"

const fastConfig = `providers:
  dex:
    auth_url: $URL/authorize
    token_url: $URL/token
    revocation_url: $URL/revoke
    client_id: tok-public
    scopes: [openid, offline_access]
    flow: browser
  svc:
    token_url: $URL/token
    client_id: svc
    client_secret: ` + secretMark + `-client-secret
    flow: client_credentials
`

// fastTok is one user's tok: a config naming the fake provider, a state
// dir, an in-memory store and a clock the test moves.
type fastTok struct {
	t     *testing.T
	op    *fakeOP
	store *memstore.Backend
	env   map[string]string
	now   time.Time
}

func newFastTok(t *testing.T) *fastTok {
	op := newFakeOP(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte(strings.ReplaceAll(fastConfig, "$URL", op.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	return &fastTok{t: t, op: op, store: memstore.New(),
		env: map[string]string{"TOK_CONFIG": cfg, "TOK_STATE_DIR": filepath.Join(dir, "state"), "TOK_BROWSER": "false"},
		now: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
}

// run runs tok ARGS with stdin and returns stdout, stderr and the exit
// status.
func (f *fastTok) run(stdin string, args ...string) (string, string, int) {
	return f.runIn(strings.NewReader(stdin), args...)
}

// runIn is run with stdin read from r.
func (f *fastTok) runIn(r io.Reader, args ...string) (string, string, int) {
	var stdout, stderr strings.Builder
	a := NewApp(r, &stdout, &stderr)
	a.LookupEnv = envOf(f.env)
	a.Environ = func() []string { return nil }
	a.Now = func() time.Time { return f.now }
	a.Backend = f.store
	a.OpenBrowser = func(string) (<-chan error, error) { return nil, fmt.Errorf("no browser in the fast tier") }
	code := a.Run(f.t.Context(), args)
	return stdout.String(), stderr.String(), code
}

// must runs tok and fails the test unless it succeeds.
func (f *fastTok) must(stdin string, args ...string) {
	f.t.Helper()
	if _, stderr, code := f.run(stdin, args...); code != 0 {
		f.t.Fatalf("tok %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
	}
}

// imported stores a login for dex whose access token lasts an hour.
func imported(f *fastTok) {
	f.must(`{"access_token":"`+secretMark+`-at-imported","refresh_token":"`+secretMark+`-rt-imported","token_type":"Bearer","expires_in":3600}`, "import", "dex")
}

// expired is imported two hours later: the next print refreshes.
func expired(f *fastTok) {
	imported(f)
	f.now = f.now.Add(2 * time.Hour)
}

const (
	// Both echo the request's secret: tok must not print it.
	invalidGrant  = `{"error":"invalid_grant","error_description":"refresh token $refresh_token is spent"}`
	invalidClient = `{"error":"invalid_client","error_description":"client secret $client_secret is wrong"}`
	htmlDown      = "<html>" + secretMark + " 503</html>"
)

// storeUnreachable is what a keyring that cannot be reached returns.
var storeUnreachable = tokerr.New(tokerr.StoreUnavailable, "the os keyring is not reachable")

func refreshAnswers(status int, body string) func(*fastTok) {
	return func(f *fastTok) { f.op.answer("refresh_token", status, body) }
}

func then(steps ...func(*fastTok)) func(*fastTok) {
	return func(f *fastTok) {
		for _, s := range steps {
			s(f)
		}
	}
}

// noRequest fails when the provider got a request: a refusal that
// no token could change is made before asking for one.
func noRequest(t *testing.T, f *fastTok) {
	f.op.mu.Lock()
	defer f.op.mu.Unlock()
	if f.op.n != 0 {
		t.Errorf("the provider got %d requests", f.op.n)
	}
}

// storeEmpty fails unless the store holds no record: nothing of a
// refused import or a logout is left.
func storeEmpty(t *testing.T, f *fastTok) {
	for k := range f.store.Snapshot() {
		t.Errorf("the store still holds %s", k)
	}
}

func TestVerbErrors(t *testing.T) {
	t.Parallel()
	down := func(f *fastTok) {
		f.op.mu.Lock()
		f.op.answers["refresh_token"] = answer{503, "text/html", htmlDown}
		f.op.mu.Unlock()
	}
	unavailable := func(f *fastTok) {
		f.store.Fail = storeUnreachable
	}
	tests := []struct {
		name  string
		setup func(*fastTok)
		stdin string
		args  []string
		code  int
		// want are pieces of stderr, in order.
		want []string
	}{
		// print
		{"print unknown provider", nil, "", []string{"print", "dexx"}, 2, []string{`tok: unknown provider "dexx"`, "did you mean dex?"}},
		{"print unknown format", imported, "", []string{"print", "dex", "--format", "yaml"}, 2, []string{`unknown format "yaml"`}},
		{"print never logged in", nil, "", []string{"print", "dex"}, 4, []string{"tok: no usable login for dex", "run: tok login dex"}},
		{"print unknown account", imported, "", []string{"print", "dex:other"}, 4, []string{"no usable login for dex:other", "run: tok login dex:other"}},
		{"print refresh rejected", then(expired, refreshAnswers(400, invalidGrant)), "", []string{"print", "dex"}, 4,
			[]string{"tok: no usable login for dex: the provider rejected the refresh: token endpoint refused the request: invalid_grant (refresh token [redacted] is spent)", "run: tok login dex"}},
		{"print provider down", then(expired, down), "", []string{"print", "dex"}, 1, []string{"tok: ", "unexpected response (HTTP 503, text/html)"}},
		{"print store unavailable", unavailable, "", []string{"print", "dex"}, 5, []string{"tok: ", "not reachable"}},
		{"print client secret refused", func(f *fastTok) { f.op.answer("client_credentials", 401, invalidClient) }, "",
			[]string{"print", "svc"}, 1, []string{"invalid_client (client secret [redacted] is wrong)"}},
		{"print id-token of a login without one", imported, "", []string{"print", "dex", "--format", "id-token"}, 4,
			[]string{"tok: no usable login for dex: the login has no ID token (the openid scope brings one)", "run: tok login dex"}},
		{"print id-token of client credentials", nil, "", []string{"print", "svc", "--format", "id-token"}, 4,
			[]string{"tok: provider svc uses client_credentials, whose tokens never come with an ID token", "print the access token instead: tok print svc"}},
		{"kube-credential id_token of client credentials", func(f *fastTok) {
			b, _ := os.ReadFile(f.env["TOK_CONFIG"])
			os.WriteFile(f.env["TOK_CONFIG"], []byte(strings.Replace(string(b), "flow: client_credentials\n", "flow: client_credentials\n    kube_token: id_token\n", 1)), 0o600)
		}, "", []string{"kube-credential", "svc"}, 2,
			[]string{"tok: provider svc uses client_credentials, whose tokens never come with an ID token", "set providers.svc.kube_token: access_token in the config file"}},
		// refresh
		{"refresh never logged in", nil, "", []string{"refresh", "dex"}, 4, []string{"no usable login for dex", "run: tok login dex"}},
		{"refresh rejected", then(imported, refreshAnswers(400, invalidGrant)), "", []string{"refresh", "dex"}, 4,
			[]string{"the provider rejected the refresh", "run: tok login dex"}},
		{"refresh provider down", then(imported, down), "", []string{"refresh", "dex"}, 1, []string{"unexpected response (HTTP 503, text/html)"}},
		{"refresh client secret refused", func(f *fastTok) { f.op.answer("client_credentials", 401, invalidClient) }, "",
			[]string{"refresh", "svc"}, 1, []string{"invalid_client"}},
		{"refresh store unavailable", unavailable, "", []string{"refresh", "dex"}, 5, []string{"not reachable"}},
		{"refresh no target", nil, "", []string{"refresh"}, 2, []string{"needs a TARGET"}},
		// status
		{"status unknown provider", nil, "", []string{"status", "dexx"}, 2, []string{`unknown provider "dexx"`}},
		{"status two targets", nil, "", []string{"status", "dex", "svc"}, 2, []string{`takes at most one TARGET, not "svc"`}},
		{"status bad flag", nil, "", []string{"status", "--jsn"}, 2, []string{"unknown flag: --jsn"}},
		{"status never logged in", nil, "", []string{"status", "dex"}, 4, []string{"tok: no usable login for dex: nothing stored", "run: tok login dex"}},
		{"status unknown account", imported, "", []string{"status", "dex:other"}, 2, []string{`tok: unknown account "other" of dex; stored accounts: default`}},
		// logout
		{"logout unknown provider", nil, "", []string{"logout", "dexx"}, 2, []string{`unknown provider "dexx"`}},
		{"logout store unavailable", unavailable, "", []string{"logout", "dex"}, 5, []string{"not reachable"}},
		{"logout no target", nil, "", []string{"logout"}, 2, []string{"needs a TARGET"}},
		{"logout never logged in", nil, "", []string{"logout", "dex"}, 0, []string{"tok: not logged in to dex: nothing to do"}},
		{"logout revocation fails", then(imported, func(f *fastTok) { f.op.answer("revoke", 500, `{"error":"server_error"}`) }), "",
			[]string{"logout", "dex"}, 0, []string{
				"tok: warning: could not revoke the refresh_token of dex: revocation endpoint answered HTTP 500",
				"tok: warning: could not revoke the access_token of dex: revocation endpoint answered HTTP 500",
				"tok: logged out of dex"}},
		// import
		{"import token as argument", nil, "", []string{"import", "dex", secretMark + "-rt-argv"}, 2,
			[]string{"reads the token on stdin, never from the command line", "run: tok import dex < FILE"}},
		{"import empty stdin", nil, "", []string{"import", "dex"}, 2, []string{"tok: nothing on stdin: pipe a refresh token or a token JSON document into tok import"}},
		{"import client credentials", nil, secretMark + "-rt-x", []string{"import", "svc"}, 2, []string{"uses client_credentials", "nothing to import"}},
		{"import rejected", refreshAnswers(400, invalidGrant), secretMark + "-rt-bare\n", []string{"import", "dex"}, 4,
			[]string{"the provider rejected the imported refresh token for dex, nothing was stored", "tok login dex"}},
		{"import expired without refresh token", nil, `{"access_token":"` + secretMark + `-at-old","expiry":"2020-01-01T00:00:00Z"}`,
			[]string{"import", "dex"}, 4, []string{"has run out and there is no refresh token", "run: tok login dex"}},
		{"import store unavailable", unavailable, secretMark + "-rt-bare\n", []string{"import", "dex"}, 5, []string{"not reachable"}},
		{"import unknown provider", nil, secretMark + "-rt-bare\n", []string{"import", "dexx"}, 2, []string{`unknown provider "dexx"`}},
		// providers
		{"providers argument", nil, "", []string{"providers", "dex"}, 2, []string{"tok providers needs no arguments"}},
		{"providers bad flag", nil, "", []string{"providers", "--yaml"}, 2, []string{"unknown flag: --yaml"}},
		{"providers bad config", func(f *fastTok) {
			p := filepath.Join(f.t.TempDir(), "bad.yaml")
			os.WriteFile(p, []byte("providers:\n  dex: [\n"), 0o600)
			f.env["TOK_CONFIG"] = p
		}, "", []string{"providers"}, 2, []string{"tok: config file ", "yaml: line "}},
		{"providers unknown key", func(f *fastTok) {
			p := filepath.Join(f.t.TempDir(), "typo.yaml")
			os.WriteFile(p, []byte("providers:\n  dex:\n    client_idd: x\n"), 0o600)
			f.env["TOK_CONFIG"] = p
		}, "", []string{"providers"}, 2, []string{"client_idd"}},
	}
	// What must be left afterwards, where a failure could leave more.
	checks := map[string]func(*testing.T, *fastTok){
		"print id-token of client credentials":           noRequest,
		"kube-credential id_token of client credentials": noRequest,
		"logout revocation fails":                        storeEmpty,
		"import rejected":                                storeEmpty,
		"import store unavailable":                       storeEmpty,
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFastTok(t)
			if check := checks[tt.name]; check != nil {
				defer check(t, f)
			}
			if tt.setup != nil {
				tt.setup(f)
			}
			stdout, stderr, code := f.run(tt.stdin, tt.args...)
			if code != tt.code {
				t.Fatalf("tok %s: exit %d, want %d\nstderr: %s", strings.Join(tt.args, " "), code, tt.code, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout %q on failure", stdout)
			}
			for _, line := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
				if !strings.HasPrefix(line, "tok: ") {
					t.Errorf("stderr line %q does not start with tok: ", line)
				}
			}
			rest := stderr
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Errorf("stderr %q lacks %q (in order)", stderr, w)
					break
				}
				rest = rest[i+len(w):]
			}
			if strings.Contains(stderr, secretMark) {
				t.Errorf("stderr holds a secret: %s", stderr)
			}
		})
	}
}

// status's EXPIRES column reads sensibly at the moment of expiry: never
// "in 0s" or "expired 0s ago".
func TestStatusExpiryAtTheBoundary(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		after time.Duration // since the import of a token valid for an hour
		want  string
	}{
		{59 * time.Minute, "in 1m0s"},
		{time.Hour - 1500*time.Millisecond, "in 2s"},
		{time.Hour - 300*time.Millisecond, "in under 1s"},
		{time.Hour, "expired just now, renews on use"},
		{time.Hour + 300*time.Millisecond, "expired just now, renews on use"},
		{time.Hour + 2*time.Second, "expired 2s ago, renews on use"},
		{2 * time.Hour, "expired 1h0m0s ago, renews on use"},
	} {
		f := newFastTok(t)
		imported(f)
		f.now = f.now.Add(tt.after)
		stdout, stderr, code := f.run("", "status")
		if code != 0 {
			t.Fatalf("tok status: exit %d\n%s", code, stderr)
		}
		if !strings.Contains(stdout, "  "+tt.want+"  ") {
			t.Errorf("%s after the import, status shows\n%swant EXPIRES %q", tt.after, stdout, tt.want)
		}
	}
}

// A narrowed token refused for being broader than asked is never handed
// out, and its audit line identifies it by digest (README "Audit log").
func TestNotNarrowedRefusalIsAudited(t *testing.T) {
	t.Parallel()
	f := newFastTok(t)
	imported(f)
	broad := secretMark + "-at-broad"
	f.op.answer("refresh_token", 200, `{"access_token":"`+broad+`","token_type":"Bearer","expires_in":3600,"scope":"openid offline_access"}`)
	stdout, stderr, code := f.run("", "print", "dex", "--scope", "openid")
	if code != 1 || stdout != "" || !strings.Contains(stderr, "does not narrow scopes") {
		t.Fatalf("tok print dex --scope openid: exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
	log, err := os.ReadFile(filepath.Join(f.env["TOK_STATE_DIR"], audit.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(log), secretMark) {
		t.Errorf("the audit log holds a token:\n%s", log)
	}
	var refusal *audit.Entry
	for _, line := range strings.Split(strings.TrimSpace(string(log)), "\n") {
		var e audit.Entry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		if e.Event == audit.EventRefusal {
			refusal = &e
		}
	}
	switch {
	case refusal == nil:
		t.Fatalf("no refusal in the audit log:\n%s", log)
	case refusal.TokenSHA256 != audit.TokenID(broad):
		t.Errorf("refusal token_sha256 = %q, want %q (the refused token's)", refusal.TokenSHA256, audit.TokenID(broad))
	case !strings.Contains(refusal.Reason, "does not narrow scopes"):
		t.Errorf("refusal reason = %q", refusal.Reason)
	}
}

// withConfig replaces the config file by yaml, $URL being the fake
// provider's address.
func withConfig(yaml string) func(*fastTok) {
	return func(f *fastTok) {
		p := filepath.Join(f.t.TempDir(), "config.yaml")
		if err := os.WriteFile(p, []byte(strings.ReplaceAll(yaml, "$URL", f.op.URL)), 0o600); err != nil {
			f.t.Fatal(err)
		}
		f.env["TOK_CONFIG"] = p
	}
}

// A login whose provider left the config file: commands say so, naming
// the file and the fix, and logout --no-revoke forgets it without the
// provider (README "logout").
func TestLoginOfARemovedProvider(t *testing.T) {
	t.Parallel()
	const onlySvc = `providers:
  svc:
    token_url: $URL/token
    client_id: svc
    client_secret: x
    flow: client_credentials
`
	f := newFastTok(t)
	imported(f)
	withConfig(onlySvc)(f)
	cfg := f.env["TOK_CONFIG"]
	want := "tok: provider dex is not configured in " + cfg + ", but tok holds a login for it (dex); add providers.dex back to the config file (or set TOK_DEX_ISSUER), or forget the login: tok logout dex --no-revoke\n"
	for _, args := range [][]string{{"print", "dex"}, {"refresh", "dex"}, {"exec", "dex", "--", "true"}, {"logout", "dex"}} {
		_, stderr, code := f.run("", args...)
		if code != 2 || stderr != want {
			t.Errorf("tok %s: exit %d, stderr:\n%swant exit 2 and\n%s", strings.Join(args, " "), code, stderr, want)
		}
	}
	// status shows what is stored, marked (README "status").
	for _, args := range [][]string{{"status"}, {"status", "dex"}} {
		stdout, stderr, code := f.run("", args...)
		wantWarning := "tok: warning: dex: provider not configured; add providers.dex back to the config file, or forget the login: tok logout dex --no-revoke\n"
		if code != 0 || !regexp.MustCompile(`(?m)^dex +openid offline_access +in 1h0m0s +yes +provider not configured$`).MatchString(stdout) || stderr != wantWarning {
			t.Errorf("tok %s: exit %d, stdout:\n%sstderr:\n%s", strings.Join(args, " "), code, stdout, stderr)
		}
	}
	// exec without a target has no candidate: the login's provider is gone.
	if _, stderr, code := f.run("", "exec", "--", "true"); code != 2 || stderr != "tok: exec needs a TARGET: no login of a configured provider is stored (the provider of dex is not configured) and the config has no default profile; run tok login PROVIDER first\n" {
		t.Errorf("tok exec -- true: exit %d, stderr:\n%s", code, stderr)
	}
	// A name no login has is still just unknown.
	if _, stderr, code := f.run("", "print", "dexx"); code != 2 || !strings.Contains(stderr, `tok: unknown provider "dexx"`) {
		t.Errorf("tok print dexx: exit %d, %s", code, stderr)
	}
	_, stderr, code := f.run("", "logout", "dex", "--no-revoke")
	if code != 0 || stderr != "tok: logged out of dex\n" {
		t.Errorf("tok logout dex --no-revoke: exit %d, stderr:\n%s", code, stderr)
	}
	storeEmpty(t, f)
	if _, stderr, _ := f.run("", "status"); !strings.Contains(stderr, "no logins yet") {
		t.Errorf("status after logout: %s", stderr)
	}
}

// A refusal whose fix is a setting names that provider's own setting:
// providers.NAME.KEY in the config file and TOK_NAME_KEY, the name
// upper-cased with non-alphanumerics as _ (README "Environment").
func TestHintsNameTheProvidersSettings(t *testing.T) {
	t.Parallel()
	const cfg = `providers:
  dex:
    auth_url: $URL/authorize
    token_url: $URL/token
    client_id: tok-public
    scopes: [openid, offline_access]
    flow: browser
  m2m-eu:
    token_url: $URL/token
    client_id: m2m
    client_secret: ` + secretMark + `-client-secret
    flow: client_credentials
  bare-cc:
    token_url: $URL/token
    client_id: bare
    flow: client_credentials
`
	ccAnswers := func(status int, body string) func(*fastTok) {
		return func(f *fastTok) { f.op.answer("client_credentials", status, body) }
	}
	for _, tt := range []struct {
		name  string
		setup func(*fastTok)
		args  []string
		code  int
		want  string
	}{
		{"audience", ccAnswers(403, `{"error":"access_denied","error_description":"Service not found: an audience is required"}`), []string{"print", "m2m-eu"}, 1,
			"; the provider wants an audience: set providers.m2m-eu.token_params: {audience: ...} in the config file, or TOK_M2M_EU_TOKEN_PARAMS"},
		{"scope", ccAnswers(400, `{"error":"invalid_scope"}`), []string{"print", "m2m-eu"}, 1,
			"; check providers.m2m-eu.scopes in the config file (or TOK_M2M_EU_SCOPES, --scope)"},
		{"client", ccAnswers(401, invalidClient), []string{"refresh", "m2m-eu"}, 1,
			"; check providers.m2m-eu.client_id, client_secret and token_endpoint_auth_method (client_secret_basic or client_secret_post) in the config file (or TOK_M2M_EU_CLIENT_ID, TOK_M2M_EU_CLIENT_SECRET)"},
		{"resource at login", ccAnswers(400, `{"error":"invalid_target"}`), []string{"login", "m2m-eu"}, 1,
			"; the provider refuses the resource parameter: set providers.m2m-eu.resource: - (or the resource it expects) in the config file"},
		{"flow on refresh", then(expired, refreshAnswers(400, `{"error":"unauthorized_client"}`)), []string{"print", "dex"}, 4,
			"; the client may not use this flow: check providers.dex.client_id and flow in the config file (or TOK_DEX_CLIENT_ID, TOK_DEX_FLOW, --browser, --device)"},
		{"no secret at login", nil, []string{"login", "bare-cc"}, 2,
			"; set providers.bare-cc.client_secret in the config file, or TOK_BARE_CC_CLIENT_SECRET"},
		{"no secret at print", nil, []string{"print", "bare-cc"}, 2,
			"; set providers.bare-cc.client_secret in the config file, or TOK_BARE_CC_CLIENT_SECRET"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFastTok(t)
			withConfig(cfg)(f)
			if tt.setup != nil {
				tt.setup(f)
			}
			_, stderr, code := f.run("", tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("tok %s: exit %d, stderr:\n%s\nwant exit %d and %q", strings.Join(tt.args, " "), code, stderr, tt.code, tt.want)
			}
			for _, generic := range []string{"<P>", "<PROVIDER>", "the provider's", secretMark} {
				if strings.Contains(stderr, generic) {
					t.Errorf("stderr holds %q: %s", generic, stderr)
				}
			}
		})
	}
}

// A wrong value in the config file is one line in tok's words naming the
// key path and what it expects, exit 2; so is a provider name no target
// can hold (README "Configuration").
func TestConfigValueErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ yaml, want string }{
		{"providers:\n  dex:\n    default_ttl: forever\n", `providers.dex.default_ttl "forever" is not a duration like 1h`},
		{"providers:\n  dex:\n    default_ttl: -5m\n", `providers.dex.default_ttl "-5m" is negative: give a duration like 1h`},
		{"providers:\n  dex:\n    default_ttl: 3600\n", `providers.dex.default_ttl 3600 is not a duration like 1h (give a unit)`},
		{"providers:\n  dex:\n    token_exchange: yes please\n", `providers.dex.token_exchange "yes please" is not true or false`},
		{"providers:\n  dex:\n    redirect_port: abc\n", `providers.dex.redirect_port "abc" is not a whole number`},
		{"providers:\n  dex:\n    scopes: {a: b}\n", `providers.dex.scopes is not a list of values like [a, b]`},
		{"providers:\n  dex:\n    auth_params: [a]\n", `providers.dex.auth_params is not a map like {key: value}`},
		{"providers:\n  dex:\n    token_params: {audience: [a, b]}\n", `providers.dex.token_params is not a map like {key: value}: audience is not a single value`},
		{"providers:\n  dex:\n    issuer: [a]\n", `providers.dex.issuer is not a single value (a string)`},
		{"providers:\n  bad name!:\n    issuer: https://x.example\n", `provider name "bad name!" is not a name a target can hold: use 1 to 128 letters, digits, '.', '_' and '-'`},
		{"file_plaintext: yes please\n", `file_plaintext "yes please" is not true or false`},
		{"profiles:\n  default:\n    targets: [dex]\n    revoke_on_exit: maybe\n", `profiles.default.revoke_on_exit "maybe" is not true or false`},
		{"profiles:\n  default:\n    targets: [dex]\n    scopes: {dex: {a: b}}\n", `profiles.default.scopes.dex is not a list of values like [a, b]`},
		{"etcd:\n  endpoints: {a: b}\n", `etcd.endpoints is not a list of values like [a, b]`},
		// A single value is not a list: it would be one scope "openid email".
		{"providers:\n  dex:\n    scopes: openid email\n", `providers.dex.scopes "openid email" is not a list: write [openid, email]`},
		{"profiles:\n  p:\n    targets: dex\n", `profiles.p.targets "dex" is not a list: write [dex]`},
		{"profiles:\n  p:\n    targets: [dex]\n    scopes: {dex: repo}\n", `profiles.p.scopes.dex "repo" is not a list: write [repo]`},
		{"etcd:\n  endpoints: https://a.example:2379\n", `etcd.endpoints "https://a.example:2379" is not a list: write [https://a.example:2379]`},
		// Values no login could use are refused at load, naming what is allowed.
		{"providers:\n  dex:\n    flow: magic\n", `providers.dex.flow "magic" is not a flow: use auto, browser, device or client_credentials`},
		{"providers:\n  dex:\n    redirect_port: 70000\n", `providers.dex.redirect_port 70000 is not a port: use 1 to 65535, or 0 for any free port`},
		{"providers:\n  dex:\n    redirect_port: -1\n", `providers.dex.redirect_port -1 is not a port: use 1 to 65535, or 0 for any free port`},
		{"providers:\n  dex:\n    kube_token: foo\n", `providers.dex.kube_token "foo" is not a token kubectl takes: use access_token or id_token`},
		{"providers:\n  dex:\n    token_endpoint_auth_method: foo\n", `providers.dex.token_endpoint_auth_method "foo" is not a token endpoint authentication method: use client_secret_basic, client_secret_post or none`},
		{"providers:\n  dex:\n    auth_params: {state: x}\n", `providers.dex.auth_params may not set "state": tok sets it itself`},
		{"providers:\n  dex:\n    token_params: {grant_type: x}\n", `providers.dex.token_params may not set "grant_type": tok sets it itself`},
		{"min_ttl: -5s\n", `min_ttl "-5s" is negative: give a duration like 60s or 5m`},
		{"min_ttl: soon\n", `min_ttl "soon" is not a duration like 60s or 5m`},
		{"providers:\n  x:\n    issuer: https://a.example\n  x:\n    client_id: y\n", `line 4: key "x" is defined twice (first at line 2)`},
	} {
		f := newFastTok(t)
		withConfig(tt.yaml)(f)
		want := "tok: config file " + f.env["TOK_CONFIG"] + ": " + tt.want + "\n"
		if _, stderr, code := f.run("", "providers"); code != 2 || stderr != want {
			t.Errorf("config\n%sexit %d, stderr:\n%swant exit 2 and\n%s", tt.yaml, code, stderr, want)
		}
	}
	// What the decoder takes weakly typed stays accepted.
	f := newFastTok(t)
	withConfig("providers:\n  dex:\n    token_url: $URL/token\n    client_id: 12345\n    scopes: [openid]\n    redirect_port: \"8080\"\n    token_exchange: \"true\"\n    default_ttl: 2h\n" +
		"    flow: client_credentials\n    kube_token: id_token\n    token_endpoint_auth_method: none\n    auth_params: {prompt: consent}\n")(f)
	f.must("", "providers")
}

// No duration flag takes a negative value, nor TOK_MIN_TTL (exit 2).
func TestNegativeDurations(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		flag string
		args []string
	}{
		{"--min-ttl -5s", []string{"print", "dex", "--min-ttl", "-5s"}},
		{"--min-ttl -5s", []string{"exec", "dex", "--min-ttl=-5s", "--", "true"}},
		{"--min-ttl -5s", []string{"kube-credential", "dex", "--min-ttl=-5s"}},
		{"--timeout -1m0s", []string{"login", "dex", "--timeout", "-1m"}},
		{"--since -5m0s", []string{"audit", "--since", "-5m"}},
	} {
		f := newFastTok(t)
		imported(f)
		want := "tok: " + tt.flag + " is negative: give a duration like 30s, 5m or 1h; run: tok " + tt.args[0] + " --help\n"
		if _, stderr, code := f.run("", tt.args...); code != 2 || stderr != want {
			t.Errorf("tok %s: exit %d, stderr:\n%swant exit 2 and\n%s", strings.Join(tt.args, " "), code, stderr, want)
		}
	}
	f := newFastTok(t)
	imported(f)
	f.env["TOK_MIN_TTL"] = "-5s"
	if _, stderr, code := f.run("", "print", "dex"); code != 2 || stderr != "tok: TOK_MIN_TTL \"-5s\" is negative: give a duration like 60s or 5m\n" {
		t.Errorf("TOK_MIN_TTL=-5s tok print dex: exit %d, stderr:\n%s", code, stderr)
	}
}

// A device flow asked of a provider without a device authorization
// endpoint names the provider and the fix (README "login").
func TestDeviceFlowWithoutEndpoint(t *testing.T) {
	t.Parallel()
	f := newFastTok(t)
	_, stderr, code := f.run("", "login", "dex", "--device")
	want := "tok: provider dex has no device authorization endpoint: it has no device_auth_url; log in with the browser flow: tok login dex --browser (add --no-browser on a machine without one, and open the URL elsewhere), or set providers.dex.device_auth_url if the provider has one\n"
	if code != 2 || stderr != want {
		t.Errorf("login dex --device: exit %d, stderr:\n%swant exit 2 and\n%s", code, stderr, want)
	}
	withConfig("providers:\n  dev:\n    token_url: $URL/token\n    auth_url: $URL/authorize\n    client_id: x\n    flow: device\n")(f)
	_, stderr, code = f.run("", "login", "dev")
	want = "tok: provider dev has no device authorization endpoint: it has no device_auth_url; set providers.dev.flow: browser in the config file, or set providers.dev.device_auth_url if the provider has one\n"
	if code != 2 || stderr != want {
		t.Errorf("login dev (flow: device): exit %d, stderr:\n%swant exit 2 and\n%s", code, stderr, want)
	}
}

// A browser flow asked of a provider with only a token endpoint names the
// provider and what to set (README "login"), exit 2.
func TestBrowserFlowWithoutEndpoint(t *testing.T) {
	t.Parallel()
	f := newFastTok(t)
	withConfig("providers:\n  tu:\n    token_url: $URL/token\n    client_id: x\n")(f)
	_, stderr, code := f.run("", "login", "tu", "--browser", "--no-browser")
	want := "tok: provider tu has no authorization endpoint for the browser flow: it has no auth_url; set providers.tu.auth_url, or providers.tu.issuer for discovery, in the config file (or TOK_TU_AUTH_URL); a client without a user takes providers.tu.flow: client_credentials\n"
	if code != 2 || stderr != want {
		t.Errorf("login tu: exit %d, stderr:\n%swant exit 2 and\n%s", code, stderr, want)
	}
}

// status reads each listed login from the store: a login the index lists
// but the store does not hold (another keyring, same state dir) is shown
// as such with the fix, never as current (README "status").
func TestStatusChecksTheStore(t *testing.T) {
	t.Parallel()
	f := newFastTok(t)
	imported(f)
	f.store = memstore.New() // another keyring, the same state dir
	stdout, stderr, code := f.run("", "status")
	if code != 0 || !regexp.MustCompile(`(?m)^dex +openid offline_access +- +- +not in the store$`).MatchString(stdout) ||
		stderr != "tok: warning: dex: not in the store; run tok login dex, or tok logout dex --no-revoke to drop the entry\n" {
		t.Errorf("tok status: exit %d, stdout:\n%sstderr:\n%s", code, stdout, stderr)
	}
	stdout, _, _ = f.run("", "status", "--json")
	if !strings.Contains(stdout, `"problem": "not in the store"`) {
		t.Errorf("status --json:\n%s", stdout)
	}
	_, stderr, code = f.run("", "status", "dex")
	if code != 4 || stderr != "tok: no usable login for dex: tok's index lists it, but the memory store holds nothing for it; run: tok login dex, or tok logout dex --no-revoke to drop the entry\n" {
		t.Errorf("tok status dex: exit %d, stderr:\n%s", code, stderr)
	}
	f.must("", "logout", "dex", "--no-revoke")
	if _, stderr, _ := f.run("", "status"); !strings.Contains(stderr, "no logins yet") {
		t.Errorf("status after logout --no-revoke: %s", stderr)
	}
}

// An index file that cannot be read is warned about, and its login is
// shown as the store holds it.
func TestStatusUnreadableIndexEntry(t *testing.T) {
	t.Parallel()
	f := newFastTok(t)
	imported(f)
	file := filepath.Join(f.env["TOK_STATE_DIR"], "logins", "dex~default.json")
	if err := os.WriteFile(file, []byte("{bad"), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := f.run("", "status")
	want := "tok: warning: login index file " + file + " (dex) is unreadable: status shows what the store holds; the next login or refresh of dex rewrites it\n"
	if code != 0 || !regexp.MustCompile(`(?m)^dex +openid offline_access +in 1h0m0s +yes$`).MatchString(stdout) || stderr != want {
		t.Errorf("tok status: exit %d, stdout:\n%sstderr:\n%swant stderr\n%s", code, stdout, stderr, want)
	}
	f.must("", "refresh", "dex")
	if _, stderr, _ := f.run("", "status"); stderr != "" {
		t.Errorf("status after a refresh rewrote the entry: %s", stderr)
	}
}

// A refresh the provider rejected (invalid_grant) is recorded in the
// index: status shows REFRESH rejected and the fix until a new login; an
// expired token whose login can renew says so.
func TestStatusRefreshRejected(t *testing.T) {
	t.Parallel()
	f := newFastTok(t)
	expired(f)
	stdout, _, _ := f.run("", "status")
	if !regexp.MustCompile(`(?m)^dex +openid offline_access +expired 1h0m0s ago, renews on use +yes$`).MatchString(stdout) {
		t.Errorf("status of an expired renewable login:\n%s", stdout)
	}
	refreshAnswers(400, invalidGrant)(f)
	if _, _, code := f.run("", "print", "dex"); code != 4 {
		t.Fatalf("print with the refresh rejected: exit %d", code)
	}
	stdout, stderr, code := f.run("", "status")
	if code != 0 || !regexp.MustCompile(`(?m)^dex +openid offline_access +expired 1h0m0s ago +rejected +run: tok login dex$`).MatchString(stdout) || stderr != "" {
		t.Errorf("status after invalid_grant: exit %d, stdout:\n%sstderr:\n%s", code, stdout, stderr)
	}
	if stdout, _, _ := f.run("", "status", "--json"); !strings.Contains(stdout, `"refresh_rejected": true`) {
		t.Errorf("status --json after invalid_grant:\n%s", stdout)
	}
	// A refusal that says nothing of the grant is not recorded.
	g := newFastTok(t)
	expired(g)
	refreshAnswers(400, `{"error":"invalid_scope"}`)(g)
	g.run("", "print", "dex")
	if stdout, _, _ := g.run("", "status"); strings.Contains(stdout, "rejected") {
		t.Errorf("status after invalid_scope:\n%s", stdout)
	}
	// A new login clears it.
	f.op.mu.Lock()
	delete(f.op.answers, "refresh_token")
	f.op.mu.Unlock()
	imported(f)
	if stdout, _, _ := f.run("", "status"); strings.Contains(stdout, "rejected") {
		t.Errorf("status after a new login:\n%s", stdout)
	}
}
