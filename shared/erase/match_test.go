package erase

import (
	"errors"
	"strings"
	"testing"
)

func TestMatcherFindsEveryEncoding(t *testing.T) {
	m, err := NewMatcher("Jane.Doe+wed@Example.com")
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct{ in, want string }{
		"plain":                   {`{"email":"jane.doe+wed@example.com"}`, `{"email":"[erased]"}`},
		"other case":              {`to JANE.DOE+WED@EXAMPLE.COM.`, `to [erased].`},
		"JSON escape":             {`{"email":"jane.doe+wed\u0040example.com"}`, `{"email":"[erased]"}`},
		"JSON escapes everywhere": {`"\u004a\u0061ne.doe\u002bwed\u0040Example.com"`, `"[erased]"`},
		"form":                    {`type=subscribe&data%5Bemail%5D=jane.doe%2Bwed%40example.com&x=1`, `type=subscribe&data%5Bemail%5D=[erased]&x=1`},
		"lower-case escapes":      {`e=jane.doe%2bwed%40example%2ecom`, `e=[erased]`},
		"JSON inside a form":      {`mandrill_events=%5B%7B%22email%22%3A%22jane.doe%2Bwed%5Cu0040example.com%22%7D%5D`, `mandrill_events=%5B%7B%22email%22%3A%22[erased]%22%7D%5D`},
		"twice":                   {`jane.doe+wed@example.com,jane.doe+wed@example.com`, `[erased],[erased]`},
		"longer local part":       {`mary.jane.doe+wed@example.com`, `mary.jane.doe+wed@example.com`},
		"longer domain":           {`jane.doe+wed@example.com.au jane.doe+wed@example.company`, `jane.doe+wed@example.com.au jane.doe+wed@example.company`},
		"sentence end":            {`write to jane.doe+wed@example.com. Thanks`, `write to [erased]. Thanks`},
		"another address":         {`john@example.com`, `john@example.com`},
	} {
		t.Run(name, func(t *testing.T) {
			got, changed := m.Redact([]byte(c.in))
			if string(got) != c.want || changed != (c.in != c.want) || m.Contains([]byte(c.in)) != changed {
				t.Errorf("Redact(%s) = %s, %v; want %s", c.in, got, changed, c.want)
			}
		})
	}
}

func TestMatcherNonASCII(t *testing.T) {
	m, err := NewMatcher("zoë@café.example")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{`"zoë@café.example"`, `"ZOË@CAFÉ.example"`, `"zo\u00eb\u0040caf\u00e9.example"`, `e=zo%C3%AB%40caf%C3%A9.example`} {
		if got, ok := m.Redact([]byte(in)); !ok || !strings.Contains(string(got), Placeholder) {
			t.Errorf("%s not found: %s", in, got)
		}
	}
}

func TestMatcherRefusesWhatIsNotAnAddress(t *testing.T) {
	for _, bad := range []string{"", "jane", "@example.com", "jane@", "a@b@c", "jane doe@example.com", "jane\n@example.com", strings.Repeat("a", 250) + "@x.io"} {
		if _, err := NewMatcher(bad); !errors.Is(err, ErrBadAddress) {
			t.Errorf("NewMatcher(%q) = %v, want ErrBadAddress", bad, err)
		}
	}
}
