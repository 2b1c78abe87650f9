package connectors

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// Do sends req with c and returns the answer's body and headers. An answer that is not 2xx
// is a *ProviderError carrying the provider's message.
func Do(c *http.Client, provider string, req *http.Request) ([]byte, http.Header, error) {
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: read answer: %w", provider, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, resp.Header, NewProviderError(provider, resp.StatusCode, body)
	}
	return body, resp.Header, nil
}

// DoJSON sends req with c and decodes a 2xx answer's JSON into out.
func DoJSON(c *http.Client, provider string, req *http.Request, out any) error {
	body, _, err := Do(c, provider, req)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s: answer is not the JSON expected: %w", provider, err)
	}
	return nil
}
