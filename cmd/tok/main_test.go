package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain registers tok itself and the helper programs with testscript:
// each is this test binary under another name on PATH, so scripts and Go
// tests run the real main in a process of its own (signals, terminals,
// kill -9 and /proc see a real tok) without a go build step.
func TestMain(m *testing.M) {
	helperCommands["tok"] = main
	if _, helper := helperCommands[filepath.Base(os.Args[0])]; !helper {
		parallelDefault()
	}
	testscript.Main(m, helperCommands)
}

// parallelDefault lets more end-to-end tests run at once than there are
// CPUs, unless -test.parallel says otherwise: they mostly wait on tok,
// the provider and their children.
func parallelDefault() {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		flag.Set("test.parallel", strconv.Itoa(8))
	}
}

func TestScripts(t *testing.T) {
	t.Parallel()
	testscript.Run(t, scriptParams(filepath.Join("..", "..", "testdata", "script")))
}

// scriptParams runs the scripts in dir, or the files when dir is empty,
// in parallel, each with its own provider and tokEnv.
func scriptParams(dir string, files ...string) testscript.Params {
	return testscript.Params{Dir: dir, Files: files, Setup: setupScript, Cmds: scriptCommands, Condition: scriptCondition}
}

// scriptCondition answers [keyring]: the script runs where the real
// Secret Service is (TestScriptsKeyring), beside the file store.
func scriptCondition(cond string) (bool, error) {
	if cond == "keyring" {
		return storeFromTest() == "keyring", nil
	}
	return false, fmt.Errorf("unknown condition %q", cond)
}
