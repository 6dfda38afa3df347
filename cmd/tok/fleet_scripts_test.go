package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/tok-cli/tok/internal/etcdkv"
	"github.com/tok-cli/tok/internal/etcdproto"
	"github.com/tok-cli/tok/internal/testing/testetcd"
)

// etcdScripts run a second time with TOK_STORE=etcd on a real three-member
// cluster, each under its own prefix: login, print, refresh, logout (and
// --all), import, exec with --serve and --token-files, MCP servers,
// narrowed tokens, the audit log, identity, --revoke-on-exit and client
// credentials keep their promises on the fleet's store.
var etcdScripts = []string{"login_browser", "refresh", "logout", "logout_all", "import", "exec_basic", "exec_files", "exec_serve", "mcp_login", "narrow", "audit", "identity", "revoke_on_exit", "cc_svc"}

func TestScriptsEtcd(t *testing.T) {
	t.Parallel()
	c := testetcd.ForTest(t, testetcd.Options{})
	var files []string
	for _, s := range etcdScripts {
		files = append(files, filepath.Join("..", "..", "testdata", "script", s+".txtar"))
	}
	p := scriptParams("", files...)
	p.Setup = func(env *testscript.Env) error {
		if err := setupScript(env); err != nil {
			return err
		}
		env.Setenv("TOK_STORE", "etcd")
		env.Setenv("TOK_ETCD_ENDPOINTS", strings.Join(c.Endpoints, ","))
		env.Setenv("TOK_ETCD_PREFIX", "/tok/"+filepath.Base(env.WorkDir)+"/")
		return nil
	}
	testscript.Run(t, p)
}

func init() {
	// tok-etcd, the helper tok starts for store: etcd, is this test
	// binary too, found on PATH like tok.
	helperCommands["tok-etcd"] = func() {
		if err := etcdproto.Serve(os.Stdin, os.Stdout, etcdkv.Open); err != nil {
			os.Exit(1)
		}
	}
}
