package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

func init() {
	helperCommands["userinfo"] = userinfo
}

// userinfo FILE | userinfo -env NAME [SAVE-FILE [SIGNAL]] asks the provider at $ISSUER what
// the access token in FILE (or in variable NAME, as a child of tok exec)
// is good for, and prints "userinfo: status N" and the claim names it
// returned, sorted: what the token really carries, whatever tok asked.
func userinfo() {
	var tok string
	if len(os.Args) >= 3 && os.Args[1] == "-env" {
		tok = os.Getenv(os.Args[2])
		defer func() {
			// -env NAME FILE [SIGNAL]: save the token, then die by
			// SIGNAL when one is given.
			if len(os.Args) > 3 {
				os.Args = append([]string{"save-env"}, os.Args[2:]...)
				saveEnv()
			}
		}()
	} else {
		b, err := os.ReadFile(os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		tok = strings.TrimSpace(string(b))
	}
	var md struct {
		Userinfo string `json:"userinfo_endpoint"`
	}
	if err := getJSON(os.Getenv("ISSUER")+"/.well-known/openid-configuration", "", &md); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	claims := map[string]any{}
	status, err := getJSONStatus(md.Userinfo, tok, &claims)
	if err != nil && status == 200 {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("userinfo: status %d\n", status)
	var names []string
	for k := range claims {
		names = append(names, k)
	}
	sort.Strings(names)
	fmt.Printf("claims: %s\n", strings.Join(names, " "))
}

func getJSON(url, bearer string, v any) error {
	status, err := getJSONStatus(url, bearer, v)
	if err == nil && status != 200 {
		err = fmt.Errorf("GET %s: status %d", url, status)
	}
	return err
}

func getJSONStatus(url, bearer string, v any) (int, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return resp.StatusCode, nil
	}
	return 200, json.NewDecoder(resp.Body).Decode(v)
}

func init() {
	helperCommands["mixed"] = mixedMain
}

// mixed N TOK-ARGS... runs N copies of tok at once, every other one with
// --scope openid added: all must succeed and print a token.
func mixedMain() {
	n, err := strconv.Atoi(os.Args[1])
	if err != nil || len(os.Args) < 3 {
		fail(2, "usage: mixed N TOK-ARGS...")
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			argv := slices.Clone(os.Args[2:])
			if i%2 == 1 {
				argv = append(argv, "--scope", "openid")
			}
			cmd := exec.Command(tokPath(), argv...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err == nil && strings.TrimSpace(string(out)) == "" {
				err = fmt.Errorf("printed nothing")
			}
			if err != nil {
				errs[i] = fmt.Errorf("%v: %s", err, stderr.String())
			}
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			fail(1, "mixed: run %d failed: %v", i, errs[i])
		}
	}
}

func init() {
	helperCommands["save-env"] = saveEnv
}

// save-env NAME FILE [SIGNAL] writes variable NAME to FILE, as a child of
// tok exec, then dies by SIGNAL (a number) when one is given.
func saveEnv() {
	if err := os.WriteFile(os.Args[2], []byte(os.Getenv(os.Args[1])), 0o600); err != nil {
		fail(1, "save-env: %v", err)
	}
	if len(os.Args) > 3 {
		n, _ := strconv.Atoi(os.Args[3])
		signal.Reset()
		syscall.Kill(os.Getpid(), syscall.Signal(n))
		time.Sleep(5 * time.Second)
		os.Exit(1)
	}
}
