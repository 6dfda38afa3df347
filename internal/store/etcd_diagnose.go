package store

import (
	"crypto/tls"
	"errors"
	"net"
	"net/url"
	"strings"
	"time"
)

// diagnose looks for the reason the cluster did not answer that the gRPC
// client does not report (it gives only the deadline): a TLS handshake
// that fails, at each https endpoint in turn. nil: no such reason found.
func (e *Etcd) diagnose() error {
	for _, ep := range e.o.Endpoints {
		u, err := url.Parse(ep)
		if err != nil || u.Scheme != "https" {
			continue
		}
		if detail := handshakeProblem(u.Host, u.Hostname(), e.tls); detail != "" {
			return tlsError("etcd at "+strings.Join(e.o.Endpoints, ", "), detail)
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
