// Package ssrf keeps outgoing requests away from internal networks: it vets endpoint URLs
// when subscriptions are saved and, at delivery time, the addresses they resolve to. An IP
// literal must be spelled canonically and carry no IPv6 zone; every other spelling of an
// address some parser accepts (decimal, octal, hex, short forms) is refused outright.
package ssrf
