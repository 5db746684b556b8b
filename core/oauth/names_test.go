package oauth

import (
	"strings"
	"testing"

	"connectedapps/core/app"
	"connectedapps/core/fail"
)

// More of the document's and the failures' names, for the tests.
var (
	newApp                = app.NewApp
	errNotFound           = fail.ErrNotFound
	errNotConnected       = fail.ErrNotConnected
	errBusy               = fail.ErrBusy
	errKeyringUnavailable = fail.ErrKeyringUnavailable
)

const authMethodAuto = app.AuthMethodAuto

// fltAssertMessage checks err is one line that says each of want (core's fault tests have it).
func fltAssertMessage(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one saying %q", want)
	}
	msg := err.Error()
	t.Logf("the person reads: %s", msg)
	if strings.ContainsAny(msg, "\r\n") {
		t.Errorf("the message is not one line: %q", msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("the message %q does not say %q", msg, w)
		}
	}
}
