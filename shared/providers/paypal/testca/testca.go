// Package testca makes a certificate authority, PayPal-style message-verification
// certificates and signatures for the tests and the local stack, which allow-list it in
// place of PayPal's. Nothing deployed uses it.
package testca

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net"
	"sync/atomic"
	"time"

	"github.com/wedsync/webhooks/shared/providers/paypal"
)

// CA is a test certificate authority.
type CA struct {
	Cert *x509.Certificate
	Key  *rsa.PrivateKey
	// PEM is the CA certificate, PEM-encoded.
	PEM []byte
}

// New makes a CA valid from an hour before now for a year.
func New(now time.Time) (*CA, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "WedSync test PayPal CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, _ := x509.ParseCertificate(der)
	return &CA{Cert: cert, Key: key, PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// Pool is a pool holding the CA.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// serial numbers the leaves; tests issue them in parallel.
var serial atomic.Int64

// Leaf issues a message-verification certificate for name, valid in [from, until), and
// returns the chain PEM (leaf then CA) and its key.
func (ca *CA) Leaf(name string, from, until time.Time) ([]byte, *rsa.PrivateKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1) + 1), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: from, NotAfter: until, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		return nil, nil, err
	}
	return append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), ca.PEM...), key, nil
}

// ServerTLS issues a TLS certificate for the loopback address.
func (ca *CA) ServerTLS(now time.Time) (tls.Certificate, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1) + 1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der, ca.Cert.Raw}, PrivateKey: key}, nil
}

// Sign returns paypal-transmission-sig for a body, as PayPal makes it.
func Sign(key *rsa.PrivateKey, transmissionID, transmissionTime, webhookID string, body []byte) (string, error) {
	digest := sha256.Sum256([]byte(paypal.SignedMessage(transmissionID, transmissionTime, webhookID, body)))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// Headers are the headers PayPal sends with body, signed with key at at.
func Headers(key *rsa.PrivateKey, certURL, transmissionID, webhookID string, body []byte, at time.Time) (map[string]string, error) {
	ts := at.UTC().Format(time.RFC3339)
	sig, err := Sign(key, transmissionID, ts, webhookID, body)
	if err != nil {
		return nil, err
	}
	return map[string]string{
		"content-type": "application/json", paypal.HeaderTransmissionID: transmissionID, paypal.HeaderTransmissionTime: ts,
		paypal.HeaderTransmissionSig: sig, paypal.HeaderCertURL: certURL, paypal.HeaderAuthAlgo: paypal.AuthAlgo,
	}, nil
}
