package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// fakeop is a hand-written provider for the scripts, for the misbehaviour
// a certified provider will not produce (issue 10): rate limits, gateway
// pages, missing expires_in. Each path answers from a queue of scripted
// replies; the last one repeats.
type fakeOP struct {
	srv     *httptest.Server
	mu      sync.Mutex
	replies map[string][]fakeReply
	forms   map[string][]url.Values
	auth    map[string][]string // Authorization headers
	// served: the one reply left in a queue has been given; a new reply
	// replaces it instead of waiting behind it.
	served map[string]bool
	caPEM  []byte // the TLS provider's certificate
	base   string // the URL tok knows the provider by
}

type fakeReply struct {
	status     int
	ctype      string
	retryAfter string
	body       string
}

// bigToken stands for {big} in a reply: a 14 KiB token, the size of the
// largest JWTs seen in the wild (Azure AD with many groups).
var bigToken = strings.Repeat("abcdefghijklmnopqrstuvwxyz0123456789-_", 14*1024/38+1)[:14*1024]

// fakeOPs holds each script's provider.
var fakeOPs sync.Map // *testscript.TestScript -> *fakeOP

func init() {
	scriptCommands["fakeop"] = cmdFakeOP
	// follow URL plays a browser that consents at once: it follows the
	// redirects of the fake provider's /authorize back to tok.
	helperCommands["follow"] = func() {
		c := &http.Client{Timeout: 20 * time.Second}
		resp, err := c.Get(os.Args[len(os.Args)-1])
		if err != nil {
			os.Exit(1)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// fakeop start FILE...: start the provider, set FAKE to its URL and write
// it over FAKEURL in each FILE.
// fakeop reply PATH STATUS [ctype=T] [retry-after=V] BODY: queue a reply;
// in BODY, {n} becomes the number of requests to PATH so far, {base} the
// provider's URL, {big} a 14 KiB token.
// fakeop stdout-big [PREFIX]: stdout is PREFIX and the {big} token.
// fakeop formlen PATH KEY N: the last request to PATH carried KEY, N bytes.
// fakeop count PATH N: PATH got N requests (since fakeop reset PATH).
// fakeop form PATH KEY VALUE: the last request to PATH carried KEY=VALUE
// (with !: did not carry KEY).
// fakeop basic PATH [ID SECRET]: the last request to PATH used HTTP Basic
// (with these credentials).
func cmdFakeOP(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: fakeop start|reply|count|form ...")
	}
	if args[0] == "stdout-big" { // stdout is PREFIX and the 14 KiB token
		prefix := ""
		if len(args) > 1 {
			prefix = args[1]
		}
		if got := strings.TrimSpace(ts.ReadFile("stdout")); got != prefix+bigToken {
			ts.Fatalf("stdout is not %sthe 14 KiB token (%d bytes)", prefix, len(got))
		}
		return
	}
	if args[0] == "start" || args[0] == "start-tls" {
		f := startFakeOP(args[0] == "start-tls")
		ts.Defer(func() { f.srv.Close(); fakeOPs.Delete(ts) })
		fakeOPs.Store(ts, f)
		base := f.srv.URL
		if f.srv.TLS != nil {
			// Reachable only through the proxy, under a name no resolver
			// knows, with a certificate only SSL_CERT_FILE vouches for.
			proxy := startConnectProxy(f.srv.Listener.Addr().String())
			ts.Defer(proxy.Close)
			ts.Setenv("PROXY", proxy.URL)
			ts.Check(os.WriteFile(ts.MkAbs("fake-ca.pem"), f.caPEM, 0o600))
			base = "https://" + fakeTLSHost
		}
		f.base = base
		ts.Setenv("FAKE", base)
		for _, file := range args[1:] {
			replaceInFile(ts, file, "FAKEURL", base)
		}
		return
	}
	v, ok := fakeOPs.Load(ts)
	if !ok {
		ts.Fatalf("fakeop start first")
	}
	f := v.(*fakeOP)
	f.mu.Lock()
	defer f.mu.Unlock()
	switch args[0] {
	case "reply":
		if len(args) < 4 {
			ts.Fatalf("usage: fakeop reply PATH STATUS [ctype=T] [retry-after=V] BODY")
		}
		r := fakeReply{ctype: "application/json", body: args[len(args)-1]}
		var err error
		r.status, err = strconv.Atoi(args[2])
		ts.Check(err)
		for _, opt := range args[3 : len(args)-1] {
			k, v, _ := strings.Cut(opt, "=")
			switch k {
			case "ctype":
				r.ctype = v
			case "retry-after":
				r.retryAfter = v
			default:
				ts.Fatalf("fakeop reply: unknown option %s", opt)
			}
		}
		if f.served[args[1]] {
			f.replies[args[1]], f.served[args[1]] = nil, false
		}
		f.replies[args[1]] = append(f.replies[args[1]], r)
	case "reset":
		delete(f.forms, args[1])
		delete(f.auth, args[1])
	case "count":
		want, err := strconv.Atoi(args[2])
		ts.Check(err)
		if got := len(f.forms[args[1]]); got != want {
			ts.Fatalf("%s got %d requests, want %d", args[1], got, want)
		}
	case "form":
		forms := f.forms[args[1]]
		if len(forms) == 0 {
			ts.Fatalf("no request to %s", args[1])
		}
		last := forms[len(forms)-1]
		if neg {
			if last.Has(args[2]) {
				ts.Fatalf("%s carried %s=%s", args[1], args[2], last.Get(args[2]))
			}
			return
		}
		if got := last.Get(args[2]); got != args[3] {
			ts.Fatalf("%s carried %s=%q, want %q", args[1], args[2], got, args[3])
		}
	case "formlen":
		forms := f.forms[args[1]]
		want, err := strconv.Atoi(args[3])
		ts.Check(err)
		if len(forms) == 0 || len(forms[len(forms)-1].Get(args[2])) != want {
			ts.Fatalf("the last request to %s did not carry %s of %d bytes", args[1], args[2], want)
		}
	case "basic":
		auth := f.auth[args[1]]
		r := &http.Request{Header: http.Header{}}
		if len(auth) > 0 {
			r.Header.Set("Authorization", auth[len(auth)-1])
		}
		id, secret, ok := r.BasicAuth()
		if !ok {
			ts.Fatalf("the last request to %s did not use HTTP Basic", args[1])
		}
		// RFC 6749 §2.3.1: id and secret are form-encoded first.
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
		if len(args) == 4 && (id != args[2] || secret != args[3]) {
			ts.Fatalf("Basic credentials %q:%q, want %q:%q", id, secret, args[2], args[3])
		}
	default:
		ts.Fatalf("fakeop: unknown subcommand %s", args[0])
	}
}

func startFakeOP(tlsOn bool) *fakeOP {
	f := &fakeOP{replies: map[string][]fakeReply{}, forms: map[string][]url.Values{}, auth: map[string][]string{}, served: map[string]bool{}}
	if !tlsOn {
		f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
		return f
	}
	cert, caPEM := selfSigned(fakeTLSHost)
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	f.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	f.srv.StartTLS()
	f.caPEM = caPEM
	return f
}

// fakeTLSHost is the TLS provider's name: .invalid never resolves (RFC
// 6761), so only the proxy can reach it and no test touches the internet.
const fakeTLSHost = "provider.invalid"

// selfSigned makes a certificate for host and its PEM, for SSL_CERT_FILE.
func selfSigned(host string) (tls.Certificate, []byte) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// startConnectProxy is an HTTPS proxy (HTTP CONNECT) on 127.0.0.1 that
// tunnels every connection to target, whatever host was asked for.
func startConnectProxy(target string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		up, err := net.Dial("tcp", target)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusOK)
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			up.Close()
			return
		}
		go func() { io.Copy(up, buf); up.Close() }()
		io.Copy(conn, up)
		conn.Close()
	}))
}

func (f *fakeOP) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/authorize" { // consent at once: back to tok with a code
		q := r.URL.Query()
		back := q.Get("redirect_uri") + "?" + url.Values{"code": {"fake-code"}, "state": {q.Get("state")}}.Encode()
		http.Redirect(w, r, back, http.StatusFound)
		return
	}
	r.ParseForm()
	f.mu.Lock()
	f.forms[r.URL.Path] = append(f.forms[r.URL.Path], r.PostForm)
	f.auth[r.URL.Path] = append(f.auth[r.URL.Path], r.Header.Get("Authorization"))
	n := len(f.forms[r.URL.Path])
	queue := f.replies[r.URL.Path]
	rep := fakeReply{status: 404, ctype: "text/plain", body: "not found"}
	if len(queue) > 0 {
		rep = queue[0]
		if len(queue) > 1 {
			f.replies[r.URL.Path] = queue[1:]
		} else {
			f.served[r.URL.Path] = true
		}
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", rep.ctype)
	if rep.retryAfter != "" {
		w.Header().Set("Retry-After", rep.retryAfter)
	}
	w.WriteHeader(rep.status)
	body := strings.NewReplacer("{n}", strconv.Itoa(n), "{big}", bigToken, "{base}", f.base).Replace(rep.body)
	io.WriteString(w, body)
}
