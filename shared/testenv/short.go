package testenv

import "testing"

// SkipShort skips t under `go test -short` (make test-short): it needs what, an emulator, a
// built bootstrap or another process, which the full suite (make test) runs.
func SkipShort(t testing.TB, what string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("-short: needs %s", what)
	}
}
