// Command client is the MCP client that the MCP conformance suite
// (@modelcontextprotocol/conformance) runs against tok. The suite starts a
// test MCP server and authorization server per scenario and runs
//
//	client SERVER_URL
//
// with MCP_CONFORMANCE_SCENARIO (and MCP_CONFORMANCE_CONTEXT for
// pre-registered credentials) set. The client logs in with `tok login`,
// playing the user's browser itself (`client browse URL` is its
// TOK_BROWSER: the suite's authorization server approves at once), then
// makes the MCP initialize, tools/list and tools/call requests with the
// token from `tok print`. A 403 insufficient_scope leads to a step-up
// `tok login URL --scope S`, at most maxStepUps times.
//
// tok is found as $TOK_BIN, else on PATH. Each run keeps its state in a
// fresh temporary directory.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tok-cli/tok/internal/mcp"
)

// maxStepUps bounds step-up logins, so that a server that never accepts
// the scopes cannot loop the client (MCP authorization, "Scope Challenge
// Handling").
const maxStepUps = 2

// metadataURL is the Client ID Metadata Document URL the suite's
// auth/basic-cimd scenario expects.
const metadataURL = "https://conformance-test.local/client-metadata.json"

const doneLine = "client: initialize, tools/list and tools/call done"

func main() {
	if len(os.Args) == 3 && os.Args[1] == "browse" {
		if err := browse(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "browse:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: client SERVER_URL")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		os.Exit(1)
	}
	// TestMCPConformance looks for this line: the suite itself does not
	// record whether the client got through.
	fmt.Println(doneLine)
}

// browse follows the authorization request's redirects to tok's loopback
// callback, as a browser would after the user approved.
func browse(authURL string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	fmt.Fprintf(os.Stderr, "browse: ended at %s with HTTP %d\n", resp.Request.URL.Redacted(), resp.StatusCode)
	return nil
}

func run(serverURL string) error {
	tk, err := newTok(serverURL)
	if err != nil {
		return err
	}
	defer os.RemoveAll(tk.dir)
	s := &session{url: serverURL, tok: tk}
	if _, err := s.call("initialize", map[string]any{
		"protocolVersion": "2025-11-25",
		"capabilities":    map[string]any{},
		"clientInfo":      map[string]any{"name": "tok-conformance-client", "version": "1.0.0"},
	}); err != nil {
		return err
	}
	if err := s.notify("notifications/initialized"); err != nil {
		return err
	}
	res, err := s.call("tools/list", map[string]any{})
	if err != nil {
		return err
	}
	var list struct {
		Tools []struct {
			Name string `json:"name"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(res, &list); err != nil {
		return fmt.Errorf("tools/list result: %w", err)
	}
	if len(list.Tools) == 0 {
		return nil
	}
	_, err = s.call("tools/call", map[string]any{"name": list.Tools[0].Name, "arguments": map[string]any{}})
	return err
}

// tok runs the tok command with a private config and state.
type tok struct {
	bin, dir, server string
	env              []string
}

func newTok(serverURL string) (*tok, error) {
	bin := os.Getenv("TOK_BIN")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("tok"); err != nil {
			return nil, errors.New("tok not found: set TOK_BIN or put tok on PATH")
		}
	}
	dir, err := os.MkdirTemp("", "tok-conformance-")
	if err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	config := map[string]any{"client_metadata_url": metadataURL}
	// auth/pre-registration hands over a client registered in advance.
	var ctx struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if c := os.Getenv("MCP_CONFORMANCE_CONTEXT"); c != "" {
		_ = json.Unmarshal([]byte(c), &ctx)
	}
	if ctx.ClientID != "" {
		config["providers"] = map[string]any{"conformance": map[string]any{
			"mcp": serverURL, "client_id": ctx.ClientID, "client_secret": ctx.ClientSecret,
		}}
	}
	b, err := json.Marshal(config)
	if err != nil {
		return nil, err
	}
	cfgFile := filepath.Join(dir, "config.json")
	if err := os.WriteFile(cfgFile, b, 0o600); err != nil {
		return nil, err
	}
	env := append(os.Environ(),
		"TOK_CONFIG="+cfgFile,
		"TOK_STATE_DIR="+filepath.Join(dir, "state"),
		"TOK_STORE=file",
		"TOK_PASSPHRASE=conformance",
		"TOK_BROWSER="+self+" browse",
	)
	return &tok{bin: bin, dir: dir, server: serverURL, env: env}, nil
}

func (t *tok) run(args ...string) (string, error) {
	cmd := exec.Command(t.bin, args...)
	cmd.Env = t.env
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("tok %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out)), nil
}

func (t *tok) login(scopes []string) error {
	args := []string{"login", t.server, "--browser", "--timeout", "20s"}
	if len(scopes) > 0 {
		args = append(args, "--scope", strings.Join(scopes, " "))
	}
	_, err := t.run(args...)
	return err
}

func (t *tok) token() (string, error) { return t.run("print", t.server) }

// session makes MCP requests over the Streamable HTTP transport, logging
// in when the server asks for a token and stepping up when it asks for
// more scopes.
type session struct {
	url       string
	tok       *tok
	token     string
	sessionID string
	version   string
	id        int
	loggedIn  bool
	stepUps   int
	asked     [][]string // scopes asked for in step-ups
}

func (s *session) call(method string, params any) (json.RawMessage, error) {
	s.id++
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": s.id, "method": method, "params": params})
	resp, err := s.post(body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	if v := resp.header.Get("Mcp-Session-Id"); v != "" {
		s.sessionID = v
	}
	msg, err := resp.message(s.id)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	if method == "initialize" {
		var r struct {
			ProtocolVersion string `json:"protocolVersion"`
		}
		_ = json.Unmarshal(msg, &r)
		s.version = r.ProtocolVersion
	}
	return msg, nil
}

func (s *session) notify(method string) error {
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": method})
	_, err := s.post(body)
	return err
}

// post sends one JSON-RPC message, handling 401 and 403 challenges.
func (s *session) post(body []byte) (*response, error) {
	for {
		resp, err := s.send(body)
		if err != nil {
			return nil, err
		}
		switch resp.status {
		case http.StatusUnauthorized:
			if s.loggedIn {
				return nil, fmt.Errorf("HTTP 401 with a fresh token")
			}
			s.loggedIn = true
			if err := s.tok.login(nil); err != nil {
				return nil, err
			}
		case http.StatusForbidden:
			ch := mcp.Bearer(mcp.ParseChallenges(resp.header.Values("WWW-Authenticate")))
			if ch == nil || ch.Params["error"] != "insufficient_scope" || ch.Params["scope"] == "" {
				return nil, fmt.Errorf("HTTP 403")
			}
			scopes := strings.Fields(ch.Params["scope"])
			if s.stepUps >= maxStepUps || slices.ContainsFunc(s.asked, func(a []string) bool { return slices.Equal(a, scopes) }) {
				return nil, fmt.Errorf("HTTP 403 insufficient_scope again after %d step-up logins: giving up", s.stepUps)
			}
			s.stepUps++
			s.asked = append(s.asked, scopes)
			if err := s.tok.login(scopes); err != nil {
				return nil, err
			}
		default:
			if resp.status >= 300 {
				return nil, fmt.Errorf("HTTP %d", resp.status)
			}
			return resp, nil
		}
		tk, err := s.tok.token()
		if err != nil {
			return nil, err
		}
		s.token = tk
	}
}
