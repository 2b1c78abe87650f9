package paypal

import (
	"crypto/x509"
	"errors"
	"strings"
)

// Configure returns the provider for a deployment. hosts (comma-separated) and caPEM
// replace PayPal's certificate hosts and the system roots; only the local stack and the
// tests (stage local or test) may replace them.
func Configure(stage, hosts, caPEM string) (Provider, error) {
	if hosts == "" && caPEM == "" {
		return New(), nil
	}
	if stage != "local" && stage != "test" {
		return Provider{}, errors.New("PayPal certificate hosts and roots can be replaced only in the local stack and tests")
	}
	certs := &Certs{Hosts: ProductionCertHosts}
	if hosts != "" {
		certs.Hosts = strings.Split(hosts, ",")
	}
	if caPEM != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(caPEM)) {
			return Provider{}, errors.New("the PayPal test roots are not PEM certificates")
		}
		certs.Roots = pool
	}
	certs.Fetch = HTTPFetch(certs.Roots)
	return Provider{Certs: certs}, nil
}
