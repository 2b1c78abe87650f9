package testenv

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

var (
	jsonEscape = regexp.MustCompile(`(?i)\\u([0-9a-f]{4})`)
	percent    = regexp.MustCompile(`%[0-9a-fA-F]{2}`)
)

// Holds reports whether text holds address in any case, standing alone (not inside a
// longer address), once decoded every way it may be stored: gunzipped, percent-decoded,
// JSON escapes resolved, in any order. It decodes on its own, apart from the code under
// test, to judge erasures.
func Holds(text []byte, address string) bool {
	alone := regexp.MustCompile(`(?:^|[^a-z0-9.+_-])` + regexp.QuoteMeta(strings.ToLower(address)) + `(?:$|[^a-z0-9.-]|\.(?:$|[^a-z0-9]))`)
	seen := map[string]bool{}
	queue := []string{string(text)}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		if seen[s] || len(seen) > 64 {
			continue
		}
		seen[s] = true
		if alone.MatchString(strings.ToLower(s)) {
			return true
		}
		if zr, err := gzip.NewReader(strings.NewReader(s)); err == nil {
			if plain, err := io.ReadAll(zr); err == nil {
				queue = append(queue, string(plain))
			}
		}
		queue = append(queue, percent.ReplaceAllStringFunc(s, func(m string) string {
			v, _ := strconv.ParseUint(m[1:], 16, 8)
			return string([]byte{byte(v)})
		}), jsonEscape.ReplaceAllStringFunc(s, func(m string) string {
			v, _ := strconv.ParseUint(m[2:], 16, 32)
			return string(rune(v))
		}))
	}
	return false
}

// ItemHolds reports whether any value of item holds address (Holds), opening each string
// with open first when open is set and can open it.
func ItemHolds(item map[string]types.AttributeValue, address string, open func(string) (string, bool)) bool {
	for _, v := range item {
		if valueHolds(v, address, open) {
			return true
		}
	}
	return false
}

func valueHolds(v types.AttributeValue, address string, open func(string) (string, bool)) bool {
	switch x := v.(type) {
	case *types.AttributeValueMemberS:
		if open != nil {
			if plain, ok := open(x.Value); ok && Holds([]byte(plain), address) {
				return true
			}
		}
		return Holds([]byte(x.Value), address)
	case *types.AttributeValueMemberB:
		return Holds(x.Value, address)
	case *types.AttributeValueMemberSS:
		return Holds([]byte(strings.Join(x.Value, "\n")), address)
	case *types.AttributeValueMemberBS:
		return Holds(bytes.Join(x.Value, []byte("\n")), address)
	case *types.AttributeValueMemberL:
		for _, e := range x.Value {
			if valueHolds(e, address, open) {
				return true
			}
		}
	case *types.AttributeValueMemberM:
		return ItemHolds(x.Value, address, open)
	}
	return false
}

// ScanAll reads every item of every table, by logical name.
func ScanAll(t testing.TB, db *dynamodb.Client, tables map[string]string) map[string][]map[string]types.AttributeValue {
	t.Helper()
	out := map[string][]map[string]types.AttributeValue{}
	for logical, physical := range tables {
		p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: aws.String(physical), ConsistentRead: aws.Bool(true)})
		for p.HasMorePages() {
			page, err := p.NextPage(context.Background())
			if err != nil {
				t.Fatalf("scan %s: %v", logical, err)
			}
			out[logical] = append(out[logical], page.Items...)
		}
	}
	return out
}
