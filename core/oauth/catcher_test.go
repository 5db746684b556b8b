package oauth

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// catcherShortWait is how long a test waits to show that the wait has NOT ended.
const catcherShortWait = 100 * time.Millisecond

func catcherListen(t *testing.T, host string, port int) *Catcher {
	t.Helper()
	c, err := ListenLoopback(host, port, "")
	if err != nil {
		t.Fatalf("ListenLoopback(%q, %d): %v", host, port, err)
	}
	t.Cleanup(c.Close)
	return c
}

// catcherGet requests path on the catcher (path includes the query), with the Host a browser
// following the redirect URI sends, and returns status and body.
func catcherGet(t *testing.T, c *Catcher, pathAndQuery string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Get("http://" + c.host + ":" + strconv.Itoa(c.Port()) + pathAndQuery)
	if err != nil {
		t.Fatalf("GET %s: %v", pathAndQuery, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the answer to %s: %v", pathAndQuery, err)
	}
	return resp.StatusCode, string(body), resp.Header
}

func catcherWait(t *testing.T, c *Catcher, d time.Duration) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return c.Wait(ctx)
}

func catcherHasIPv6Loopback() bool {
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func TestListenLoopbackIPv4AnyPort(t *testing.T) {
	c := catcherListen(t, hostIPv4, 0)
	if c.Port() <= 0 || c.Port() > 65535 {
		t.Fatalf("Port() = %d; want a real port", c.Port())
	}
	if want := "http://127.0.0.1:" + strconv.Itoa(c.Port()) + "/callback"; c.RedirectURI() != want {
		t.Errorf("RedirectURI() = %q; want %q", c.RedirectURI(), want)
	}
	if len(c.listeners) != 1 {
		t.Fatalf("%d listeners; want 1", len(c.listeners))
	}
	addr := c.listeners[0].Addr().(*net.TCPAddr)
	if !addr.IP.Equal(net.IPv4(127, 0, 0, 1)) || addr.Port != c.Port() {
		t.Errorf("listening on %v; want 127.0.0.1:%d", addr, c.Port())
	}
	// It really answers there.
	if status, _, _ := catcherGet(t, c, "/favicon.ico"); status != http.StatusNotFound {
		t.Errorf("GET /favicon.ico = %d; want 404", status)
	}
}

func TestListenLoopbackListensOnlyOnLoopback(t *testing.T) {
	hosts := []string{hostIPv4, hostLocalhost}
	if catcherHasIPv6Loopback() {
		hosts = append(hosts, hostIPv6)
	}
	for _, host := range hosts {
		c := catcherListen(t, host, 0)
		for _, l := range c.listeners {
			addr := l.Addr().(*net.TCPAddr)
			if addr.IP.IsUnspecified() || !addr.IP.IsLoopback() {
				t.Errorf("%s: listening on %v; want loopback only (never 0.0.0.0 or ::)", host, addr)
			}
		}
	}
}

func TestListenLoopbackLocalhostBothFamilies(t *testing.T) {
	c := catcherListen(t, hostLocalhost, 0)
	if want := "http://localhost:" + strconv.Itoa(c.Port()) + "/callback"; c.RedirectURI() != want {
		t.Errorf("RedirectURI() = %q; want %q", c.RedirectURI(), want)
	}
	var v4, v6 bool
	for _, l := range c.listeners {
		addr := l.Addr().(*net.TCPAddr)
		if addr.Port != c.Port() {
			t.Errorf("listener %v is not on port %d", addr, c.Port())
		}
		switch {
		case addr.IP.Equal(net.IPv4(127, 0, 0, 1)):
			v4 = true
		case addr.IP.Equal(net.IPv6loopback):
			v6 = true
		default:
			t.Errorf("unexpected listener address %v", addr)
		}
	}
	if !v4 {
		t.Error("localhost: no listener on 127.0.0.1")
	}
	if catcherHasIPv6Loopback() && !v6 {
		t.Error("localhost: the machine has ::1 but there is no listener on it")
	}
	if v6 {
		// The IPv6 side answers too.
		c.Expect("st")
		req, _ := http.NewRequest(http.MethodGet, "http://[::1]:"+strconv.Itoa(c.Port())+"/callback?state=st&code=via-v6", nil)
		req.Host = "localhost:" + strconv.Itoa(c.Port()) // as a browser that resolved localhost to ::1 sends it
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET over ::1: %v", err)
		}
		resp.Body.Close()
		if code, err := catcherWait(t, c, 5*time.Second); err != nil || code != "via-v6" {
			t.Errorf("Wait = %q, %v; want via-v6", code, err)
		}
	}
}

func TestListenLoopbackIPv6(t *testing.T) {
	if !catcherHasIPv6Loopback() {
		t.Skip("no IPv6 loopback on this machine")
	}
	c := catcherListen(t, hostIPv6, 0)
	if want := "http://[::1]:" + strconv.Itoa(c.Port()) + "/callback"; c.RedirectURI() != want {
		t.Errorf("RedirectURI() = %q; want %q", c.RedirectURI(), want)
	}
	if len(c.listeners) != 1 || !c.listeners[0].Addr().(*net.TCPAddr).IP.Equal(net.IPv6loopback) {
		t.Errorf("listeners = %v; want one on ::1", c.listeners)
	}
}

func TestListenLoopbackRefusesOtherHosts(t *testing.T) {
	for _, host := range []string{"0.0.0.0", "::", "", "example.com", "192.168.1.1", "::1"} {
		c, err := ListenLoopback(host, 0, "")
		if err == nil {
			c.Close()
			t.Errorf("ListenLoopback(%q) succeeded; want refused", host)
			continue
		}
		if !errors.Is(err, errInvalid) {
			t.Errorf("ListenLoopback(%q) error %v does not wrap errInvalid", host, err)
		}
	}
}

func TestListenLoopbackPortInUse(t *testing.T) {
	busy, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port
	for _, host := range []string{hostIPv4, hostLocalhost} {
		c, err := ListenLoopback(host, port, "")
		if err == nil {
			c.Close()
			t.Fatalf("ListenLoopback(%q, %d) succeeded on a port in use", host, port)
		}
		if !errors.Is(err, errPortInUse) {
			t.Errorf("%s: error %v does not wrap errPortInUse", host, err)
		}
		if msg := err.Error(); !strings.Contains(msg, strconv.Itoa(port)) || strings.Contains(msg, "\n") {
			t.Errorf("%s: error %q does not name port %d in one line", host, msg, port)
		}
	}
}

func TestListenLoopbackLocalhostIPv6PortInUse(t *testing.T) {
	if !catcherHasIPv6Loopback() {
		t.Skip("no IPv6 loopback on this machine")
	}
	busy, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port
	c, err := ListenLoopback(hostLocalhost, port, "")
	if err == nil {
		c.Close()
		t.Fatalf("ListenLoopback(localhost, %d) succeeded while ::1 port %d is taken", port, port)
	}
	if !errors.Is(err, errPortInUse) || !strings.Contains(err.Error(), strconv.Itoa(port)) {
		t.Errorf("error = %v; want errPortInUse naming port %d", err, port)
	}
	// The IPv4 listener opened before the failure was closed again.
	l, err := net.Listen("tcp4", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatalf("127.0.0.1:%d left in use after the failed listen: %v", port, err)
	}
	l.Close()
}

// TestCatcherCallbacks: what the browser (or a paste) sends to an attempt, what each request
// gets back, and what Wait then returns: the code, the provider's error, any error, or nothing
// yet (errTimeout: the attempt goes on). Only the attempt's first answer counts, so a stray
// request that ended the wait would show as the wrong result.
func TestCatcherCallbacks(t *testing.T) {
	type hit struct {
		method string // GET, PUT, POST (the query as a form), PASTE (DeliverURL; "?…" follows the redirect URI)
		what   string // path and query, or the pasted text
		status int    // the answer's status; 0: not checked (for PASTE: 0 wants no error)
		body   []string
	}
	notThis := []string{"Not this sign-in", "goes on"}
	for _, c := range []struct {
		name     string
		state    string // given to Expect; "": never called
		hits     []hit
		code     string // the code Wait returns
		err      error  // what Wait's error is (errors.Is); nil with code
		anyErr   bool   // Wait fails, whatever the error
		provider string // Wait's *ProviderError code
	}{
		{name: "favicon and stray paths", state: "state-1", hits: []hit{{"GET", "/favicon.ico", 404, nil}, {"GET", "/", 404, nil},
			{"GET", "/callback/extra", 404, nil}, {"GET", "/other?state=state-1&code=nope", 404, nil},
			{"GET", "/callback?state=state-1&code=the-code", 200, nil}}, code: "the-code"},
		{name: "other methods", state: "s", hits: []hit{{"PUT", "/callback?state=s&code=put", 404, nil}}, err: errTimeout},
		// Another state (a cross-site request, an old tab) is not this attempt's answer.
		{name: "state mismatch", state: "right-state", hits: []hit{{"GET", "/callback?state=wrong-state&code=stolen", 400, notThis},
			{"GET", "/callback?code=no-state", 400, notThis}, {"GET", "/callback?state=&code=empty-state", 400, notThis},
			{"GET", "/callback?state=right-stat&code=prefix", 400, notThis},
			{"GET", "/callback?state=right-state&code=the-code", 200, nil}}, code: "the-code"},
		{name: "no state expected", hits: []hit{{"GET", "/callback?state=&code=x", 400, nil}}, err: errTimeout},
		{name: "no code no error", state: "st", hits: []hit{{"GET", "/callback?state=st", 400, nil}}, anyErr: true},
		{name: "form post", state: "st", hits: []hit{{"POST", "/callback?state=st&code=posted", 200, nil}}, code: "posted"},
		{name: "only the first result counts", state: "st", hits: []hit{{"GET", "/callback?state=st&code=first", 0, nil},
			{"GET", "/callback?state=st&code=second", 0, nil}, {"GET", "/callback?state=bad&code=third", 0, nil},
			{"PASTE", "http://127.0.0.1/callback?state=st&code=fourth", 0, nil}}, code: "first"},
		// ... even when it is a failure; a forged state before it is no answer at all.
		{name: "the first result counts even if a failure", state: "st", hits: []hit{{"GET", "/callback?state=forged&code=evil", 0, nil},
			{"GET", "/callback?state=st&error=access_denied", 0, nil}, {"GET", "/callback?state=st&code=good", 0, nil}}, provider: "access_denied"},
		{name: "pasted URL", state: "paste-state", hits: []hit{{"PASTE", "?code=pasted-code&state=paste-state", 0, nil}}, code: "pasted-code"},
		{name: "nothing arrives", state: "st", err: errTimeout},
	} {
		t.Run(c.name, func(t *testing.T) {
			cat := catcherListen(t, hostIPv4, 0)
			if c.state != "" {
				cat.Expect(c.state)
			}
			base := "http://127.0.0.1:" + strconv.Itoa(cat.Port())
			for _, h := range c.hits {
				var status int
				var body string
				switch h.method {
				case "PASTE":
					if strings.HasPrefix(h.what, "?") {
						h.what = cat.RedirectURI() + h.what
					}
					if err := cat.DeliverURL(h.what); err != nil && h.status == 0 {
						t.Errorf("DeliverURL(%s): %v", h.what, err)
					}
					continue
				case "POST":
					path, query, _ := strings.Cut(h.what, "?")
					form, _ := url.ParseQuery(query)
					resp, err := http.PostForm(base+path, form)
					if err != nil {
						t.Fatal(err)
					}
					resp.Body.Close()
					status = resp.StatusCode
				case "PUT":
					req, _ := http.NewRequest(http.MethodPut, base+h.what, nil)
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					resp.Body.Close()
					status = resp.StatusCode
				default:
					status, body, _ = catcherGet(t, cat, h.what)
				}
				if h.status != 0 && status != h.status {
					t.Errorf("%s %s = %d; want %d", h.method, h.what, status, h.status)
				}
				for _, w := range h.body {
					if !strings.Contains(body, w) {
						t.Errorf("%s %s: the page does not say %q: %s", h.method, h.what, w, body)
					}
				}
			}
			wait := 5 * time.Second
			if errors.Is(c.err, errTimeout) {
				wait = catcherShortWait
			}
			code, err := catcherWait(t, cat, wait)
			var pe *ProviderError
			switch {
			case c.provider != "":
				if !errors.As(err, &pe) || pe.Code != c.provider || code != "" {
					t.Errorf("Wait = %q, %v; want the provider's %s", code, err, c.provider)
				}
			case c.anyErr:
				if err == nil || code != "" {
					t.Errorf("Wait = %q, %v; want an error", code, err)
				}
			case c.err != nil:
				if !errors.Is(err, c.err) || code != "" {
					t.Errorf("Wait = %q, %v; want %v (still waiting)", code, err, c.err)
				}
			default:
				if err != nil || code != c.code {
					t.Errorf("Wait = %q, %v; want %s", code, err, c.code)
				}
				// Nothing else was queued behind it.
				if code, err := catcherWait(t, cat, catcherShortWait); !errors.Is(err, errTimeout) {
					t.Errorf("second Wait = %q, %v; want errTimeout", code, err)
				}
			}
		})
	}
}

func TestCatcherProviderError(t *testing.T) {
	c := catcherListen(t, hostIPv4, 0)
	c.Expect("st")
	desc := `The user said no <script>alert("x")</script> & left`
	q := url.Values{"state": {"st"}, "error": {"access_denied"}, "error_description": {desc}, "error_uri": {"https://idp.example.com/help"}}
	status, body, hdr := catcherGet(t, c, "/callback?"+q.Encode())
	if status != http.StatusBadRequest {
		t.Errorf("status = %d; want 400", status)
	}
	if strings.Contains(body, "<script>") {
		t.Errorf("provider text reached the page unescaped: %s", body)
	}
	if !strings.Contains(body, "&lt;script&gt;") || !strings.Contains(body, "access_denied") {
		t.Errorf("page does not show the escaped provider text: %s", body)
	}
	if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type = %q", ct)
	}
	if hdr.Get("Cache-Control") != "no-store" || hdr.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("headers: Cache-Control %q, Referrer-Policy %q", hdr.Get("Cache-Control"), hdr.Get("Referrer-Policy"))
	}
	code, err := catcherWait(t, c, 5*time.Second)
	var pe *ProviderError
	if !errors.As(err, &pe) {
		t.Fatalf("Wait = %q, %v; want a *ProviderError", code, err)
	}
	if pe.Code != "access_denied" || pe.Description != desc || pe.URI != "https://idp.example.com/help" || pe.Step != "sign-in" {
		t.Errorf("ProviderError = %+v", pe)
	}
	if code != "" {
		t.Errorf("code = %q with an error", code)
	}
}

func TestCatcherSuccess(t *testing.T) {
	c := catcherListen(t, hostIPv4, 0)
	c.Expect("st-123")
	status, body, hdr := catcherGet(t, c, "/callback?state=st-123&code=auth-code-xyz&iss=https%3A%2F%2Fidp.example.com")
	if status != http.StatusOK {
		t.Errorf("status = %d; want 200", status)
	}
	if !strings.Contains(body, "Signed in") {
		t.Errorf("page = %s", body)
	}
	if strings.Contains(body, "auth-code-xyz") {
		t.Error("the code is shown on the page")
	}
	if hdr.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", hdr.Get("Cache-Control"))
	}
	code, err := catcherWait(t, c, 5*time.Second)
	if err != nil || code != "auth-code-xyz" {
		t.Errorf("Wait = %q, %v; want auth-code-xyz", code, err)
	}
}

func TestCatcherDeliverURLNotACallback(t *testing.T) {
	c := catcherListen(t, hostIPv4, 0)
	c.Expect("st")
	for _, pasted := range []string{
		"",
		"pasted-code",
		"not a url at all",
		"https://idp.example.com/authorize?state=st&code=x",
		"http://127.0.0.1:" + strconv.Itoa(c.Port()) + "/?state=st&code=x",
		"%zz",
	} {
		err := c.DeliverURL(pasted)
		if err == nil {
			t.Errorf("DeliverURL(%q) = nil; want an error", pasted)
			continue
		}
		if want := c.RedirectURI(); !strings.Contains(err.Error(), want) {
			t.Errorf("DeliverURL(%q) error %q does not show what to paste (%s)", pasted, err, want)
		}
	}
	if code, err := catcherWait(t, c, catcherShortWait); !errors.Is(err, errTimeout) {
		t.Fatalf("Wait after bad pastes = %q, %v; want errTimeout (still waiting)", code, err)
	}
	// The real callback still gets through afterwards.
	catcherGet(t, c, "/callback?state=st&code=real")
	if code, err := catcherWait(t, c, 5*time.Second); err != nil || code != "real" {
		t.Errorf("Wait = %q, %v; want real", code, err)
	}
}

func TestCatcherDeliverURLChecksLikeACallback(t *testing.T) {
	t.Run("wrong state", func(t *testing.T) {
		c := catcherListen(t, hostIPv4, 0)
		c.Expect("st")
		outcome, err := c.Deliver(c.RedirectURI() + "?code=x&state=other")
		if !errors.Is(err, errStateMismatch) || outcome || !strings.Contains(err.Error(), "newest link") {
			t.Errorf("DeliverURL = %v (outcome %v); want a paste error, errStateMismatch", err, outcome)
		}
		if _, err := catcherWait(t, c, catcherShortWait); !errors.Is(err, errTimeout) {
			t.Errorf("Wait = %v; want still waiting", err)
		}
		if err := c.DeliverURL(c.RedirectURI() + "?code=right&state=st"); err != nil {
			t.Fatalf("the right paste after a wrong one: %v", err)
		}
		if code, err := catcherWait(t, c, 5*time.Second); err != nil || code != "right" {
			t.Errorf("Wait = %q, %v; want right", code, err)
		}
	})
	t.Run("provider error", func(t *testing.T) {
		c := catcherListen(t, hostIPv4, 0)
		c.Expect("st")
		err := c.DeliverURL(c.RedirectURI() + "?error=access_denied&error_description=nope&state=st")
		var pe *ProviderError
		if !errors.As(err, &pe) || pe.Code != "access_denied" || pe.Description != "nope" {
			t.Errorf("DeliverURL = %v; want ProviderError access_denied", err)
		}
		if _, err := catcherWait(t, c, 5*time.Second); !errors.As(err, &pe) {
			t.Errorf("Wait = %v; want the ProviderError", err)
		}
	})
}

func TestCatcherWaitCanceled(t *testing.T) {
	c := catcherListen(t, hostIPv4, 0)
	c.Expect("st")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Wait(ctx)
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, errCanceled) {
			t.Errorf("Wait = %v; want errCanceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Wait did not return after cancel")
	}
}

func TestCatcherCloseFreesPort(t *testing.T) {
	c, err := ListenLoopback(hostIPv4, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	port := c.Port()
	c.Close()
	l, err := net.Listen("tcp4", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatalf("port %d still in use after Close: %v", port, err)
	}
	l.Close()
	// And a new catcher can take the same fixed port.
	c2 := catcherListen(t, hostIPv4, port)
	if c2.Port() != port {
		t.Errorf("Port() = %d; want %d", c2.Port(), port)
	}
}

func TestCatcherCloseFreesPortLocalhost(t *testing.T) {
	c, err := ListenLoopback(hostLocalhost, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	port := c.Port()
	c.Close()
	c2, err := ListenLoopback(hostLocalhost, port, "")
	if err != nil {
		t.Fatalf("localhost port %d not free after Close: %v", port, err)
	}
	c2.Close()
}
