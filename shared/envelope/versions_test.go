package envelope_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/envelope/envelopetest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

func TestLatestIsTheLastVersion(t *testing.T) {
	names := envelope.VersionNames()
	if want := []string{"2026-11-01", "2027-01-15"}; !slices.Equal(names, want) {
		t.Fatalf("versions %v, want %v", names, want)
	}
	if envelope.Latest() != names[len(names)-1] || envelope.Version != envelope.Latest() {
		t.Fatalf("latest %s, Version %s; want the last entry %s", envelope.Latest(), envelope.Version, names[len(names)-1])
	}
	if !envelope.IsSupported("2026-11-01") || envelope.IsSupported("2026-12-01") || envelope.IsSupported("") {
		t.Fatal("IsSupported disagrees with the list")
	}
}

func TestDecimal(t *testing.T) {
	for _, c := range []struct {
		minor    int64
		currency string
		want     string
		ok       bool
	}{
		{12345, "USD", "123.45", true},
		{5, "EUR", "0.05", true},
		{0, "GBP", "0.00", true},
		{-250, "USD", "-2.50", true},
		{500, "JPY", "500", true},
		{12345, "BHD", "12.345", true},
		{7, "KWD", "0.007", true},
		{-9223372036854775808, "USD", "-92233720368547758.08", true},
		{100, "XYZ", "", false},
		{100, "usd", "", false},
		{100, "", "", false},
	} {
		got, ok := envelope.Decimal(c.minor, c.currency)
		if got != c.want || ok != c.ok {
			t.Errorf("Decimal(%d, %q) = %q, %v; want %q, %v", c.minor, c.currency, got, ok, c.want, c.ok)
		}
	}
}

// TestCatalogCoversEveryType: every delivered type is documented, once, in catalog order.
func TestCatalogCoversEveryType(t *testing.T) {
	var documented []string
	for _, d := range envelope.Catalog() {
		documented = append(documented, d.Type)
		if d.Summary == "" || d.Example == nil {
			t.Errorf("%s: no summary or example", d.Type)
		}
	}
	if want := envelope.DeliveredTypes(); !slices.Equal(documented, want) {
		t.Fatalf("catalog %v\nwant     %v", documented, want)
	}
}

// TestGolden: the example event of every type, stored at the latest version, rendered at
// every version, is the golden file testdata/golden/<version>/<type>.json and validates
// against the schema of its type and version. go test -update rewrites the files.
func TestGolden(t *testing.T) {
	for _, doc := range envelope.Catalog() {
		stored, err := json.Marshal(doc.ExampleEnvelope())
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range envelope.VersionNames() {
			got, err := envelope.Render(stored, v)
			if err != nil {
				t.Fatalf("%s at %s: %v", doc.Type, v, err)
			}
			envelopetest.Validate(t, got)
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, got, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			path := filepath.Join("testdata", "golden", v, doc.Type+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./shared/envelope -run TestGolden -update)", err)
			}
			if !bytes.Equal(pretty.Bytes(), want) {
				t.Errorf("%s at %s differs from %s:\n%s", doc.Type, v, path, pretty.Bytes())
			}
		}
	}
}

// TestRenderPayments: the same payment event is rendered with amount_decimal and customer
// at 2027-01-15 and without them at 2026-11-01, its other fields byte for byte alike; an
// event stored at 2026-11-01 (before versions) renders up to the latest shape.
func TestRenderPayments(t *testing.T) {
	doc, _ := envelope.LookupType(envelope.PaymentReceived)
	stored, _ := json.Marshal(doc.ExampleEnvelope())
	latest, err := envelope.Render(stored, "2027-01-15")
	if err != nil || !bytes.Equal(latest, stored) {
		t.Fatalf("at the stored version: %v\n%s\nwant the stored bytes\n%s", err, latest, stored)
	}
	old, err := envelope.Render(stored, "2026-11-01")
	if err != nil {
		t.Fatal(err)
	}
	newData, oldData := dataOf(t, latest), dataOf(t, old)
	if newData["amount_decimal"] != "2500.00" {
		t.Errorf("amount_decimal %v, want 2500.00", newData["amount_decimal"])
	}
	wantCustomer := map[string]any{"id": "cus_Q1w2E3r4T5y6", "email": "alex.smith@example.com", "name": "Alex Smith"}
	if c, _ := json.Marshal(newData["customer"]); string(c) != mustJSON(wantCustomer) {
		t.Errorf("customer %s, want %s", c, mustJSON(wantCustomer))
	}
	if _, ok := oldData["amount_decimal"]; ok {
		t.Error("2026-11-01 has amount_decimal")
	}
	if _, ok := oldData["customer"]; ok {
		t.Error("2026-11-01 has customer")
	}
	for k, v := range oldData {
		if mustJSON(newData[k]) != mustJSON(v) {
			t.Errorf("%s: %v at 2026-11-01, %v at 2027-01-15", k, v, newData[k])
		}
	}
	up, err := envelope.Render(old, "2027-01-15")
	if err != nil {
		t.Fatal(err)
	}
	upData := dataOf(t, up)
	if upData["amount_decimal"] != "2500.00" || mustJSON(upData["customer"]) != `{"email":"alex.smith@example.com","id":"cus_Q1w2E3r4T5y6"}` {
		t.Errorf("rendered up from 2026-11-01: %s", up)
	}
	envelopetest.Validate(t, latest, old, up)
	mislabeled := bytes.Replace(latest, []byte(`"eventversion":"2027-01-15"`), []byte(`"eventversion":"2026-11-01"`), 1)
	if envelopetest.Check(mislabeled) == nil {
		t.Error("the 2027-01-15 shape validates against the 2026-11-01 schema")
	}
}

func TestRenderUnknownVersion(t *testing.T) {
	doc, _ := envelope.LookupType(envelope.BookingCreated)
	stored, _ := json.Marshal(doc.ExampleEnvelope())
	if _, err := envelope.Render(stored, "2026-12-01"); !errors.Is(err, envelope.ErrUnknownVersion) {
		t.Fatalf("render at an unknown version: %v, want ErrUnknownVersion", err)
	}
	stored = bytes.Replace(stored, []byte(`"eventversion":"2027-01-15"`), []byte(`"eventversion":"1999-01-01"`), 1)
	if _, err := envelope.Render(stored, "2026-11-01"); !errors.Is(err, envelope.ErrUnknownVersion) {
		t.Fatalf("render of an event stored at an unknown version: %v, want ErrUnknownVersion", err)
	}
}

// TestUpgradeSenderData: a sender's payment data gets the latest fields computed from its
// canonical fields, whatever it said itself; other types' data is left as it was.
func TestUpgradeSenderData(t *testing.T) {
	for _, c := range []struct{ name, typ, in, want string }{
		{"computed", envelope.PaymentReceived, `{"amount":1999,"currency":"EUR","customer_email":"a@example.com"}`,
			`{"amount":1999,"currency":"EUR","customer_email":"a@example.com","amount_decimal":"19.99","customer":{"email":"a@example.com"}}`},
		{"sender's own values replaced, a name kept", envelope.InvoicePaid, `{"amount_decimal":"1","customer":{"name":"Jo","phone":"1"},"amount":5,"currency":"JPY"}`,
			`{"amount":5,"currency":"JPY","amount_decimal":"5","customer":{"name":"Jo"}}`},
		{"not an object", envelope.PaymentFailed, `{"customer":"cus_1","customer_id":"cus_1"}`, `{"customer_id":"cus_1","customer":{"id":"cus_1"}}`},
		{"no decimal without a known currency", envelope.PaymentFailed, `{"amount":12.5,"currency":"EUR"}`, `{"amount":12.5,"currency":"EUR"}`},
		{"other types untouched", envelope.BookingCreated, `{"amount":100,"currency":"EUR", "customer" : 1}`, `{"amount":100,"currency":"EUR", "customer" : 1}`},
	} {
		if got := envelope.Upgrade(c.typ, json.RawMessage(c.in)); string(got) != c.want {
			t.Errorf("%s: Upgrade = %s, want %s", c.name, got, c.want)
		}
	}
}

func dataOf(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var env struct {
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatal(err)
	}
	return env.Data
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
