// Package secrets seals and opens the secrets we keep (connection secrets, subscription
// secrets). Every secret passes through Sealer; the plaintext implementation serves only the
// local stack and the tests, and refuses to be built anywhere else.
package secrets
