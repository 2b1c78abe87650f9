package local

import (
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/wedsync/webhooks/shared/providers/paypal"
	"github.com/wedsync/webhooks/shared/providers/paypal/testca"
)

// certServer plays PayPal's certificate host for the local stack: a test CA's
// message-verification certificate over TLS on loopback, which only the local stack's
// ingest-paypal allow-lists.
type certServer struct {
	server  *http.Server
	host    string
	caPEM   string
	certURL string
	keyPath string
}

func startCertServer(stateDir string) (*certServer, error) {
	now := time.Now()
	ca, err := testca.New(now)
	if err != nil {
		return nil, err
	}
	chain, key, err := ca.Leaf("messageverificationcerts.paypal.com", now.Add(-time.Hour), now.Add(365*24*time.Hour))
	if err != nil {
		return nil, err
	}
	tlsCert, err := ca.ServerTLS(now)
	if err != nil {
		return nil, err
	}
	keyPath := filepath.Join(stateDir, "paypal-signer.pem")
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600); err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &certServer{host: l.Addr().String(), caPEM: string(ca.PEM), keyPath: keyPath}
	s.certURL = "https://" + s.host + paypal.CertPathPrefix + "CERT-10ca1dee-10ca1dee-00000001"
	s.server = &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(chain) }),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{tlsCert}},
		ReadHeaderTimeout: 5 * time.Second,
	}
	go func() { _ = s.server.ServeTLS(l, "", "") }()
	return s, nil
}

func (s *certServer) stop() {
	if s != nil {
		_ = s.server.Close()
	}
}

// signPayPal signs body as PayPal would for conn, with the local signer key.
func signPayPal(conn ConnectionState, body []byte, at time.Time) (map[string]string, error) {
	b, err := os.ReadFile(conn.SignerKey)
	if err != nil {
		return nil, fmt.Errorf("the local PayPal signer key: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("the local PayPal signer key is not PEM")
	}
	key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	return testca.Headers((*rsa.PrivateKey)(key), conn.CertURL, "local-"+randomHex(8), conn.Secret, body, at)
}
