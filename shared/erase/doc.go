// Package erase removes one contact's e-mail address from a tenant's stored event data: the
// events (envelope and raw body, gzipped), derived events, delivery attempt logs and the
// remembered answers of /v1 writes. It finds the address in any case and in every encoding
// it is stored in (JSON escapes, percent-encoding, gzip, sealed answers), rewrites only the
// items that hold it, and leaves every other tenant's items untouched.
package erase
