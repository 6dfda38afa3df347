package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"
)

func init() {
	helperCommands["tokget"] = tokGet
	// waitfile FILE succeeds once FILE exists, fails after 30s.
	helperCommands["waitfile"] = func() {
		if !waitFile(os.Args[1], 30*time.Second) {
			fmt.Fprintf(os.Stderr, "waitfile: no %s after 30s\n", os.Args[1])
			os.Exit(1)
		}
	}
}

// tokget [-secret S] [-nosecret] [-url U] [-save FILE] [-pause FILE] TARGET...
// plays a long-running child of `tok exec --serve`: it asks $TOK_URL for
// each TARGET in turn (path-escaped) and prints "TARGET: status N", then
// "new token" or "same token" and expires_in for a 200, else the error
// document. With -pause, between two requests it writes FILE.waiting and
// waits for FILE (removing both), so that a script acts on tok's store
// meanwhile (`expire`) instead of waiting for the clock.
func tokGet() {
	fs := flag.NewFlagSet("tokget", flag.ExitOnError)
	secret := fs.String("secret", os.Getenv("TOK_SECRET"), "bearer secret")
	noSecret := fs.Bool("nosecret", false, "send no Authorization header")
	base := fs.String("url", os.Getenv("TOK_URL"), "token endpoint")
	save := fs.String("save", "", "write TOK_URL to this file")
	pause := fs.String("pause", "", "between targets, write FILE.waiting and wait for FILE")
	urlFile := fs.String("url-file", "", "read the token endpoint from this file")
	fs.Parse(os.Args[1:])
	if *urlFile != "" {
		b, _ := os.ReadFile(*urlFile)
		*base = string(b)
	}
	if *save != "" {
		os.WriteFile(*save, []byte(*base), 0o600)
	}
	if *base == "" {
		fmt.Println("TOK_URL is not set")
		os.Exit(1)
	}
	last := ""
	for i, target := range fs.Args() {
		if i > 0 && *pause != "" {
			waitTurn(*pause)
		}
		req, _ := http.NewRequest(http.MethodGet, *base+"/token/"+url.PathEscape(target), nil)
		if !*noSecret {
			req.Header.Set("Authorization", "Bearer "+*secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Printf("%s: error %v\n", target, err)
			os.Exit(1)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("%s: status %d\n", target, resp.StatusCode)
		if resp.StatusCode != http.StatusOK {
			fmt.Printf("%s\n", body)
			continue
		}
		var doc struct {
			AccessToken string `json:"access_token"`
			ExpiresIn   int    `json:"expires_in"`
			Provider    string `json:"provider"`
			Account     string `json:"account"`
			TokenType   string `json:"token_type"`
		}
		if err := json.Unmarshal(body, &doc); err != nil || doc.AccessToken == "" {
			fmt.Printf("bad document: %s\n", body)
			os.Exit(1)
		}
		what := "new token"
		if doc.AccessToken == last {
			what = "same token"
		}
		last = doc.AccessToken
		fmt.Printf("%s (%s %s:%s, expires_in %d, cache-control %s)\n", what, doc.TokenType, doc.Provider, doc.Account, doc.ExpiresIn, resp.Header.Get("Cache-Control"))
		if os.Getenv("DEX_TOKEN") != "" && doc.AccessToken == os.Getenv("DEX_TOKEN") {
			fmt.Println("same as DEX_TOKEN")
		}
	}
}

// waitTurn writes pause.waiting, waits for pause to exist (30s at most,
// then gives up: a bound, not a timing), and removes both.
func waitTurn(pause string) {
	os.WriteFile(pause+".waiting", nil, 0o600)
	defer os.Remove(pause + ".waiting")
	if !waitFile(pause, 30*time.Second) {
		fmt.Printf("tokget: nobody wrote %s\n", pause)
		os.Exit(1)
	}
	os.Remove(pause)
}

// waitFile polls for path to exist, for at most d.
func waitFile(path string, d time.Duration) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return true
		}
	}
	return false
}
