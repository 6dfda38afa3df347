package store

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"strings"

	"github.com/tok-cli/tok/internal/tokerr"
)

// EtcdTLS builds the client's TLS set-up from the etcd: block's files: the
// CA that signed the members' certificates, and this host's certificate
// and key where the cluster asks clients for one. No file at all: nil, the
// system's roots for https:// endpoints. A file that cannot be read or
// parsed is named in the error (exit 5).
func EtcdTLS(caFile, certFile, keyFile string) (*tls.Config, error) {
	if caFile == "" && certFile == "" && keyFile == "" {
		return nil, nil
	}
	if (certFile == "") != (keyFile == "") {
		return nil, tokerr.New(tokerr.Usage, "etcd: cert_file and key_file go together: set both or neither")
	}
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, tlsFileError("ca_file", caFile, err)
		}
		conf.RootCAs = x509.NewCertPool()
		if !conf.RootCAs.AppendCertsFromPEM(pem) {
			return nil, tlsFileError("ca_file", caFile, errors.New("no PEM certificate in it"))
		}
	}
	if certFile == "" {
		return conf, nil
	}
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, tlsFileError("cert_file", certFile, err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, tlsFileError("key_file", keyFile, err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, tokerr.New(tokerr.StoreUnavailable, "etcd cert_file %s and key_file %s: %s", certFile, keyFile, pairProblem(err))
	}
	conf.Certificates = []tls.Certificate{pair}
	return conf, nil
}

func tlsFileError(field, path string, err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return tokerr.New(tokerr.StoreUnavailable, "etcd %s %s: %s", field, path, err)
}

// pairProblem says what is wrong with a certificate and key without
// quoting either (a key file's bytes are a secret).
func pairProblem(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "private key does not match"):
		return "the key is not the certificate's"
	case strings.Contains(msg, "failed to find any PEM data in certificate"), strings.Contains(msg, "failed to parse certificate"):
		return "the certificate is not a PEM certificate"
	}
	return "the key is not a PEM private key"
}
