package core

import (
	"connectedapps/internal/testproc"
	"net/http"
	"net/url"
	"testing"
)

// The owner check of the sign-in listener (core/oauth's catcherpeer_linux.go) through Connect;
// the catcher's own tests are core/oauth/catcherpeer_linux_test.go, whose helpers these are.

// A test binary re-run as nobody by testproc.ForgeAsNobody does its request here.
func init() { testproc.AnswerForgedGET() }

// The same attack through Connect: the forged callback of another user arrives first; the
// sign-in goes on, and what is kept is the person's own account, never the attacker's code.
func TestConnectRefusesAnotherUsersCallback(t *testing.T) {
	testproc.RequireNobodyCanRun(t)
	f := newFltFixture(t, nil, "")
	var status int
	f.setBrowser(func(link *url.URL) error {
		q := link.Query()
		status, _ = testproc.ForgeAsNobody(t, q.Get("redirect_uri")+"?"+url.Values{"state": {q.Get("state")}, "code": {"attackers-code"}}.Encode())
		return f.signIn(link)
	})
	res, err := f.connect(t)
	if err != nil {
		t.Fatalf("Connect after another user's callback: %v", err)
	}
	if status != http.StatusForbidden {
		t.Errorf("the other user's callback got %d; want 403", status)
	}
	forms := f.p.exchangeForms()
	if len(forms) != 1 || forms[0].Get("code") == "attackers-code" || res.Identity.Subject != fltSubject {
		t.Errorf("exchanges %v, identity %+v; want one exchange, of our own code", forms, res.Identity)
	}
}
