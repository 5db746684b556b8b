package oauth

import (
	"strings"
	"testing"
)

// Fuzz targets live beside the code they exercise (*_fuzz_test.go); their seed corpora are in
// testdata/fuzz/<FuzzName>/. `go test` runs the seeds as ordinary tests; `make fuzz` (and,
// for 5 seconds each, `make test`) runs the fuzzer itself.

// fuzzOneLine fails when a message meant for a person is empty or spans more than one line
// (docs/ARCHITECTURE.md, Errors: an error is one line naming the thing and the next step).
func fuzzOneLine(t *testing.T, what, msg string) {
	t.Helper()
	if msg == "" {
		t.Errorf("%s is empty", what)
	}
	if strings.ContainsAny(msg, "\r\n") {
		t.Errorf("%s spans lines: %q", what, msg)
	}
}
