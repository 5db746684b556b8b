package oauth

import (
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A state is single-use: once an attempt has its answer (good or bad), every later callback,
// even with the right state and a fresh code, is refused and told so; nothing reaches Wait.
func TestCatcherStateIsSingleUse(t *testing.T) {
	for _, first := range []string{"/callback?state=st&code=first", "/callback?state=st&error=access_denied"} {
		c := catcherListen(t, hostIPv4, 0)
		c.Expect("st")
		catcherGet(t, c, first)
		status, body, _ := catcherGet(t, c, "/callback?state=st&code=second")
		if status != http.StatusBadRequest || strings.Contains(body, "Signed in") || !strings.Contains(body, "already ended") {
			t.Errorf("after %s, a second callback was shown %d %q; want 400 saying the attempt already ended", first, status, body)
		}
		code, err := catcherWait(t, c, 5*time.Second)
		var pe *ProviderError
		if strings.Contains(first, "error") {
			if !errors.As(err, &pe) {
				t.Errorf("Wait = %q, %v; want the first answer, access_denied", code, err)
			}
		} else if err != nil || code != "first" {
			t.Errorf("Wait = %q, %v; want first", code, err)
		}
		if code, err := catcherWait(t, c, catcherShortWait); !errors.Is(err, errTimeout) {
			t.Errorf("the second callback was queued: %q, %v", code, err)
		}
	}
}

// A state expires with its attempt: once the catcher is closed (Connect closes it as soon as
// the wait ends, by an answer, a timeout or a cancel) a pasted redirect with the right state
// is ignored; TestConnectTimeoutSpendsTheState shows the listener is gone as well.
func TestCatcherStateExpiresWithTheAttempt(t *testing.T) {
	c, err := ListenLoopback(hostIPv4, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	c.Expect("st")
	if _, err := catcherWait(t, c, 20*time.Millisecond); !errors.Is(err, errTimeout) {
		t.Fatalf("Wait = %v; want errTimeout", err)
	}
	c.Close()
	if err := c.DeliverURL(c.RedirectURI() + "?state=st&code=late-paste"); err != nil {
		t.Errorf("a paste after the attempt = %v; want it ignored", err)
	}
	if code, err := catcherWait(t, c, catcherShortWait); !errors.Is(err, errTimeout) || code != "" {
		t.Errorf("the late paste reached Wait: %q, %v", code, err)
	}
}

// The catcher is reachable on loopback only: from every other address of this machine the
// port refuses the connection (TestListenLoopbackListensOnlyOnLoopback checks what it binds).
func TestCatcherUnreachableFromOtherAddresses(t *testing.T) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	var others []net.IP
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			others = append(others, n.IP)
		}
	}
	if len(others) == 0 {
		t.Skip("this machine has no address but loopback")
	}
	for _, host := range []string{hostIPv4, hostLocalhost} {
		c := catcherListen(t, host, 0)
		c.Expect("st")
		for _, ip := range others {
			conn, err := net.DialTimeout("tcp", net.JoinHostPort(ip.String(), strconv.Itoa(c.Port())), 2*time.Second)
			if err == nil {
				conn.Close()
				t.Errorf("%s: the catcher on port %d answers at %s", host, c.Port(), ip)
			}
		}
		// And it does answer on loopback, so the refusals above mean something.
		if status, _, _ := catcherGet(t, c, "/favicon.ico"); status != http.StatusNotFound {
			t.Errorf("%s: GET /favicon.ico on loopback = %d", host, status)
		}
	}
}
