package cost

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"

	"github.com/wedsync/webhooks/shared/awsenv"
)

// Proxy is a loopback reverse proxy in front of one emulator that counts, independently of
// the functions' own middleware, every call of the JSON protocol that DynamoDB, SQS and KMS
// speak: the operation from X-Amz-Target, and for DynamoDB the ConsumedCapacity of each
// answer (and one write unit for each conditional write refused, as the meter counts).
type Proxy struct {
	// URL is where the proxy listens.
	URL string

	server *http.Server
	mu     sync.Mutex
	counts map[ProxyKey]*Tally
}

// ProxyKey is one operation of one service, as the wire names them.
type ProxyKey struct {
	Service, Op string
}

// StartProxy starts a proxy to upstream on a free 127.0.0.1 port.
func StartProxy(upstream string) (*Proxy, error) {
	target, err := url.Parse(upstream)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{URL: "http://" + l.Addr().String(), counts: map[ProxyKey]*Tally{}}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ModifyResponse = p.count
	p.server = &http.Server{Handler: rp}
	go func() { _ = p.server.Serve(l) }()
	return p, nil
}

// Close stops the proxy.
func (p *Proxy) Close() { _ = p.server.Close() }

// Reset forgets what was counted.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts = map[ProxyKey]*Tally{}
}

// Counts returns what was counted since the last Reset.
func (p *Proxy) Counts() map[ProxyKey]Tally {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[ProxyKey]Tally, len(p.counts))
	for k, t := range p.counts {
		out[k] = *t
	}
	return out
}

// services maps X-Amz-Target prefixes to the SDK's service ids.
var services = map[string]string{"DynamoDB_20120810": "DynamoDB", "AmazonSQS": "SQS", "TrentService": "KMS"}

func (p *Proxy) count(resp *http.Response) error {
	prefix, op, ok := strings.Cut(resp.Request.Header.Get("X-Amz-Target"), ".")
	service := services[prefix]
	if !ok || service == "" {
		return nil
	}
	var units Tally
	units.Calls = 1
	if service == "DynamoDB" {
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		readCapacity(op, decoded(body, resp.Header.Get("Content-Encoding")), &units)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	k := ProxyKey{Service: service, Op: op}
	t := p.counts[k]
	if t == nil {
		t = &Tally{}
		p.counts[k] = t
	}
	t.Calls += units.Calls
	t.Write += units.Write
	t.Read += units.Read
	t.ConditionFailed += units.ConditionFailed
	return nil
}

func decoded(body []byte, encoding string) []byte {
	if encoding != "gzip" {
		return body
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return body
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		return body
	}
	return plain
}

// wireCapacity is ConsumedCapacity as DynamoDB writes it.
type wireCapacity struct {
	CapacityUnits float64 `json:"CapacityUnits"`
}

// readCapacity adds what a DynamoDB answer body reports to t.
func readCapacity(op string, body []byte, t *Tally) {
	var answer struct {
		Type             string          `json:"__type"`
		ConsumedCapacity json.RawMessage `json:"ConsumedCapacity"`
	}
	if json.Unmarshal(body, &answer) != nil {
		return
	}
	if strings.HasSuffix(answer.Type, "#"+conditionFailed) {
		t.ConditionFailed++
		t.Write++
		return
	}
	var all []wireCapacity
	if len(answer.ConsumedCapacity) > 0 && answer.ConsumedCapacity[0] == '[' {
		_ = json.Unmarshal(answer.ConsumedCapacity, &all)
	} else if len(answer.ConsumedCapacity) > 0 {
		var one wireCapacity
		if json.Unmarshal(answer.ConsumedCapacity, &one) == nil {
			all = append(all, one)
		}
	}
	for _, c := range all {
		if awsenv.IsRead(op) {
			t.Read += c.CapacityUnits
		} else {
			t.Write += c.CapacityUnits
		}
	}
}
