package store

import (
	"crypto/tls"
	"errors"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"
)

// diagnose looks for the reason the cluster did not answer that the gRPC
// client does not report (it gives only the deadline): a TLS handshake
// that fails. It probes every https endpoint at once, so that it adds
// about a second to the timeout whatever their number. nil: no such
// reason found.
func (e *Etcd) diagnose() error {
	details := make([]string, len(e.o.Endpoints))
	var wg sync.WaitGroup
	for i, ep := range e.o.Endpoints {
		u, err := url.Parse(ep)
		if err != nil || u.Scheme != "https" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			details[i] = handshakeProblem(u.Host, u.Hostname(), e.tls)
		}()
	}
	wg.Wait()
	for _, d := range details {
		if d != "" {
			return tlsError(e.where(), d)
		}
	}
	return nil
}

// handshakeProblem makes one TLS connection to addr and reads from it
// briefly: a server refusing the client's certificate says so only after
// the handshake. "" when nothing went wrong with TLS itself.
func handshakeProblem(addr, name string, conf *tls.Config) string {
	c := &tls.Config{}
	if conf != nil {
		c = conf.Clone()
	}
	if c.ServerName == "" {
		c.ServerName = name
	}
	c.NextProtos = []string{"h2"}
	d := &net.Dialer{Timeout: time.Second}
	conn, err := tls.DialWithDialer(d, "tcp", addr, c)
	if err != nil {
		return tlsDetail(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	_, err = conn.Read(make([]byte, 1))
	return tlsDetail(err)
}

// tlsDetail keeps the errors that come from TLS (certificates, alerts),
// not those of the network.
func tlsDetail(err error) string {
	if err == nil {
		return ""
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return ""
	}
	msg := err.Error()
	if i := strings.Index(msg, "tls: "); i >= 0 {
		return msg[i:]
	}
	if i := strings.Index(msg, "x509: "); i >= 0 {
		return msg[i:]
	}
	return ""
}
