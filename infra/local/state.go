package local

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// State is what a running stack writes to .dev/stack.json so that scripts, tests and the
// make targets can drive it without reading its output. Secrets are reused on the next run.
type State struct {
	URL            string                     `json:"url"`
	Addr           string                     `json:"addr"`
	DynamoDB       string                     `json:"dynamodb_endpoint"`
	SQS            string                     `json:"sqs_endpoint"`
	KMS            string                     `json:"kms_endpoint"`
	KMSKeyID       string                     `json:"kms_key_id"`
	StripeMock     string                     `json:"stripe_mock_endpoint,omitempty"`
	PayPalCertHost string                     `json:"paypal_cert_host"`
	PayPalCAPEM    string                     `json:"paypal_ca_pem"`
	Tables         map[string]string          `json:"tables"`
	Queues         map[string]string          `json:"queues"`
	DLQs           map[string]string          `json:"dlqs"`
	Tenant         string                     `json:"tenant"`
	APIKey         string                     `json:"api_key"`
	CursorSecret   string                     `json:"cursor_secret"`
	Connections    map[string]ConnectionState `json:"connections"`
	Pids           []int                      `json:"pids"`
	Running        bool                       `json:"running"`
}

// ConnectionState is one seeded connection.
type ConnectionState struct {
	ID        string `json:"id"`
	Kind      string `json:"kind"`
	IngestURL string `json:"ingest_url"`
	Secret    string `json:"secret"`
	// CertURL and SignerKey let make send sign as PayPal (PayPal connections only).
	CertURL   string `json:"cert_url,omitempty"`
	SignerKey string `json:"signer_key,omitempty"`
}

// StatePath is where a stack keeps its state under dir.
func StatePath(dir string) string { return filepath.Join(dir, "stack.json") }

// ReadState reads the state a stack left in dir.
func ReadState(dir string) (State, error) {
	b, err := os.ReadFile(StatePath(dir))
	if err != nil {
		return State{}, err
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return State{}, fmt.Errorf("read %s: %w", StatePath(dir), err)
	}
	return s, nil
}

func writeState(dir string, s State) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := StatePath(dir) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, StatePath(dir))
}

// ErrAlreadyRunning means another stack holds the lock of the state directory.
var ErrAlreadyRunning = errors.New("a local stack is already running")

// lock takes the stack's lock in dir, or says who holds it.
func lock(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b, _ := os.ReadFile(filepath.Join(dir, "lock"))
		f.Close()
		who := strings.TrimSpace(string(b))
		if s, err := ReadState(dir); err == nil && s.URL != "" {
			who += " at " + s.URL
		}
		return nil, fmt.Errorf("%w (pid %s); stop it with Ctrl-C first", ErrAlreadyRunning, who)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())), 0)
	return f, nil
}
