// Package paypal verifies PayPal webhooks the way PayPal documents it — an RSA signature
// over "transmission id|transmission time|webhook id|CRC32 of the body", checked with the
// certificate at paypal-cert-url — and normalizes payment captures and disputes. The
// certificate URL must be https on an allow-listed host; the chain must verify to the
// configured roots and the leaf be PayPal's message-verification certificate, in date.
package paypal
