package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/tok-cli/tok/internal/config"
	"github.com/tok-cli/tok/internal/provider"
)

// The MCP end-to-end scripts (testdata/script/mcp_*.txtar) run tok against
// mcpServer, a small MCP resource server in front of the script's
// provider, which registers clients dynamically (RFC 7591).
func init() {
	scriptCommands["mcpserver"] = cmdMCPServer
	scriptCommands["mcp"] = cmdMCP
	scriptCommands["mcpsubst"] = cmdSubstMCP
	helperCommands["mcpcall"] = mcpCall
}

// mcpServers holds each script's MCP server.
var mcpServers sync.Map // *testscript.TestScript -> *mcpServer

// mcpServer answers MCP requests with a valid token from the provider and
// challenges the others (RFC 9728 §5.1); it serves its protected resource
// metadata (§3) naming the provider.
type mcpServer struct {
	url, issuer string
	resource    string // what the metadata claims to be
	scopes      []string
	srv         *http.Server

	mu     sync.Mutex
	served int
}

// mcpserver [-resource URL] starts the MCP server and sets MCP_URL (the
// server), MCP_NAME (the provider name tok derives from it) and MCP_ENV
// (that provider's default exec variable).
func cmdMCPServer(ts *testscript.TestScript, neg bool, args []string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	m := &mcpServer{url: "http://" + ln.Addr().String() + "/mcp", issuer: server(ts).Issuer, scopes: []string{"openid", "mcp:read"}}
	m.resource = m.url
	for len(args) >= 2 {
		switch args[0] {
		case "-resource":
			m.resource = args[1]
		default:
			ts.Fatalf("usage: mcpserver [-resource URL]")
		}
		args = args[2:]
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/mcp", m.serveMCP)
	mux.HandleFunc("/.well-known/oauth-protected-resource/mcp", m.servePRM)
	m.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go m.srv.Serve(ln)
	mcpServers.Store(ts, m)
	ts.Defer(func() { m.srv.Close(); mcpServers.Delete(ts) })
	name := provider.MCPName(m.url)
	ts.Setenv("MCP_URL", m.url)
	ts.Setenv("MCP_NAME", name)
	ts.Setenv("MCP_ENV", config.DefaultEnv(name))
}

func (m *mcpServer) servePRM(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"resource": m.resource, "authorization_servers": []string{m.issuer}, "scopes_supported": m.scopes,
	})
}

func (m *mcpServer) serveMCP(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || !m.valid(r.Context(), tok) {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer error="invalid_token", resource_metadata=%q, scope="openid mcp:read"`,
			strings.Replace(m.url, "/mcp", "/.well-known/oauth-protected-resource/mcp", 1)))
		http.Error(w, `{"error":"invalid_token"}`, http.StatusUnauthorized)
		return
	}
	m.mu.Lock()
	m.served++
	m.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{"tools":[]}}`)
}

// valid asks the provider's userinfo endpoint whether tok is a live
// access token.
func (m *mcpServer) valid(ctx context.Context, tok string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.issuer+"/userinfo", nil)
	if err != nil {
		return false
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// mcp registrations N | mcp served N | mcp resource KIND URL | mcp forget-clients
func cmdMCP(ts *testscript.TestScript, neg bool, args []string) {
	want := func(got int, n string) {
		w, err := strconv.Atoi(n)
		ts.Check(err)
		if (got == w) == neg {
			ts.Fatalf("mcp %s: got %d, want %d", args[0], got, w)
		}
	}
	switch {
	case len(args) == 2 && args[0] == "registrations":
		want(server(ts).Registrations(), args[1])
	case len(args) == 2 && args[0] == "served":
		v, ok := mcpServers.Load(ts)
		if !ok {
			ts.Fatalf("mcp served: no mcpserver running")
		}
		m := v.(*mcpServer)
		m.mu.Lock()
		n := m.served
		m.mu.Unlock()
		want(n, args[1])
	case len(args) == 3 && args[0] == "resource":
		// mcp resource KIND URL: the last request of KIND carried
		// resource=URL ('' for none)
		got := server(ts).Resources(args[1])
		if len(got) == 0 {
			ts.Fatalf("mcp resource: no %s request", args[1])
		}
		if last := got[len(got)-1]; (last == args[2]) == neg {
			ts.Fatalf("mcp resource: the last %s request carried %q, want %q", args[1], last, args[2])
		}
	case len(args) == 1 && args[0] == "forget-clients":
		server(ts).ForgetRegisteredClients()
	default:
		ts.Fatalf("usage: mcp registrations N | mcp served N | mcp resource KIND URL | mcp forget-clients")
	}
}

// mcpcall URL VAR is an MCP client run by tok exec: it calls the server at
// URL with the token in $VAR and prints the status.
func mcpCall() {
	url, name := os.Args[1], os.Args[2]
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+os.Getenv(name))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	resp.Body.Close()
	fmt.Printf("status %d\n", resp.StatusCode)
}

// mcpsubst FILE... writes the MCP server's URL over MCPURL in each FILE.
func cmdSubstMCP(ts *testscript.TestScript, neg bool, args []string) {
	for _, f := range args {
		replaceInFile(ts, f, "MCPURL", ts.Getenv("MCP_URL"))
	}
}
