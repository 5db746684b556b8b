package oauth

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// catcherGetHost requests pathAndQuery on the catcher's port with the given Host header, as a
// page whose name was rebound to 127.0.0.1 makes a browser send it.
func catcherGetHost(t *testing.T, c *Catcher, host, pathAndQuery string) (int, string) {
	t.Helper()
	dial := "127.0.0.1"
	if c.host == hostIPv6 {
		dial = "[::1]"
	}
	req, err := http.NewRequest(http.MethodGet, "http://"+dial+":"+strconv.Itoa(c.Port())+pathAndQuery, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s (Host %s): %v", pathAndQuery, host, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// DNS rebinding: a page at evil.example rebinds its name to 127.0.0.1 and sends the callback
// with the right state (it cannot know it, but even if it did) under its own Host. Every Host
// but the redirect URI's own is refused with 400, and the attempt goes on to its real answer.
func TestCatcherRefusesAnotherHost(t *testing.T) {
	hosts := []string{hostIPv4, hostLocalhost}
	if catcherHasIPv6Loopback() {
		hosts = append(hosts, hostIPv6)
	}
	for _, host := range hosts {
		t.Run(host, func(t *testing.T) {
			c := catcherListen(t, host, 0)
			c.Expect("st")
			port := strconv.Itoa(c.Port())
			others := []string{"evil.example:" + port, "evil.example", host + ":1", host, "127.0.0.2:" + port, "localhost.evil.example:" + port}
			for _, h := range []string{hostIPv4, hostLocalhost, hostIPv6} {
				if h != host {
					others = append(others, h+":"+port)
				}
			}
			for _, h := range others {
				status, body := catcherGetHost(t, c, h, "/callback?state=st&code=rebound")
				if status != http.StatusBadRequest || !strings.Contains(body, "Not this sign-in") {
					t.Errorf("Host %s: %d %s; want 400 Not this sign-in", h, status, body)
				}
			}
			if code, err := catcherWait(t, c, catcherShortWait); !errors.Is(err, errTimeout) {
				t.Fatalf("Wait after rebound requests = %q, %v; want still waiting", code, err)
			}
			if status, _ := catcherGetHost(t, c, host+":"+port, "/callback?state=st&code=real"); status != http.StatusOK {
				t.Errorf("the real callback (Host %s:%s) = %d; want 200", host, port, status)
			}
			if code, err := catcherWait(t, c, 5*time.Second); err != nil || code != "real" {
				t.Errorf("Wait = %q, %v; want real", code, err)
			}
		})
	}
}

// An app's catcher answers only its own path: an answer meant for another app (the old
// shared /callback, or another app's /callback/NAME) is a 404 and leaves the attempt alone;
// a paste of such a URL is a paste error.
func TestCatcherAnswersOnlyItsPath(t *testing.T) {
	c, err := ListenLoopback(hostIPv4, 0, "/callback/erp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	c.Expect("st")
	if want := "http://127.0.0.1:" + strconv.Itoa(c.Port()) + "/callback/erp"; c.RedirectURI() != want {
		t.Errorf("RedirectURI() = %q; want %q", c.RedirectURI(), want)
	}
	for _, p := range []string{"/callback", "/callback/github", "/callback/erp/", "/callback/erp2", "/callback/ERP"} {
		if status, _, _ := catcherGet(t, c, p+"?state=st&code=other-app"); status != http.StatusNotFound {
			t.Errorf("GET %s = %d; want 404", p, status)
		}
		if err := c.DeliverURL("http://127.0.0.1:" + strconv.Itoa(c.Port()) + p + "?state=st&code=other-app"); err == nil || !strings.Contains(err.Error(), c.RedirectURI()) {
			t.Errorf("pasting %s = %v; want a paste error naming %s", p, err, c.RedirectURI())
		}
	}
	if code, err := catcherWait(t, c, catcherShortWait); !errors.Is(err, errTimeout) {
		t.Fatalf("Wait = %q, %v; want still waiting", code, err)
	}
	if status, _, _ := catcherGet(t, c, "/callback/erp?state=st&code=mine"); status != http.StatusOK {
		t.Errorf("own path = %d; want 200", status)
	}
	if code, err := catcherWait(t, c, 5*time.Second); err != nil || code != "mine" {
		t.Errorf("Wait = %q, %v; want mine", code, err)
	}
}

// The iss of an answer is matched like the issuer of an ID token: exactly, or a templated
// (multi-tenant) issuer with a tenant ID in its place, never another path or host.
func TestCallbackIssuerMatchesTheTemplate(t *testing.T) {
	ms := &App{ProviderName: "Outlook", Issuer: "https://login.microsoftonline.com/{tenantid}/v2.0"}
	plain := &App{ProviderName: "Okta", Issuer: "https://example.okta.com"}
	for _, c := range []struct {
		app *App
		iss string
		ok  bool
	}{
		{ms, "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0", true},
		{ms, "https://login.microsoftonline.com/common/v2.0", false},
		{ms, "https://login.microsoftonline.com/{tenantid}/v2.0", false},
		{ms, "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/x/v2.0", false},
		{ms, "https://evil.example/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0", false},
		{plain, "https://example.okta.com", true},
		{plain, "https://example.okta.com/", false},
		{plain, "https://EXAMPLE.okta.com", false},
	} {
		err := CallbackIssuerCheck(c.app)(url.Values{"iss": {c.iss}})
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, errMixUp)) {
			t.Errorf("%s, iss %s: %v; want accepted %v", c.app.Issuer, c.iss, err, c.ok)
		}
	}
	if err := CallbackIssuerCheck(plain)(url.Values{}); err != nil {
		t.Errorf("no iss from a provider that does not promise one: %v", err)
	}
}
