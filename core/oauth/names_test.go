package oauth

import (
	"strings"
	"testing"

	"connectedapps/core/app"
)

// newApp is the document's constructor, as the tests say it.
var newApp = app.NewApp

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
