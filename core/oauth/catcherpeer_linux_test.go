package oauth

import (
	"connectedapps/internal/testproc"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A test binary re-run as nobody by testproc.ForgeAsNobody does its request here.
func init() { testproc.AnswerForgedGET() }

// Another local user (nobody) reads the authorization URL on the browser's command line
// (state, PKCE challenge), signs in with their own account and delivers their code to our
// catcher with the right state. The catcher sees the connection is not ours: 403, and the
// attempt neither ends nor changes; our own callback then completes it.
func TestCatcherRefusesAnotherUsersConnection(t *testing.T) {
	testproc.RequireNobodyCanRun(t)
	for _, host := range []string{hostIPv4, hostLocalhost, hostIPv6} {
		if host == hostIPv6 && !catcherHasIPv6Loopback() {
			continue
		}
		t.Run(host, func(t *testing.T) {
			c := catcherListen(t, host, 0)
			c.Expect("the-state")
			status, page := testproc.ForgeAsNobody(t, c.RedirectURI()+"?state=the-state&code=attackers-code")
			if status != http.StatusForbidden || !strings.Contains(page, "another user") {
				t.Errorf("a callback from uid %d got %d %s; want 403", testproc.NobodyUID, status, page)
			}
			if code, err := catcherWait(t, c, catcherShortWait); !errors.Is(err, errTimeout) {
				t.Fatalf("after the forged callback Wait = %q, %v; want still waiting", code, err)
			}
			if status, _, _ := catcherGet(t, c, "/callback?state=the-state&code=our-code"); status != http.StatusOK {
				t.Errorf("our own callback = %d; want 200", status)
			}
			if code, err := catcherWait(t, c, 5*time.Second); err != nil || code != "our-code" {
				t.Errorf("Wait = %q, %v; want our-code", code, err)
			}
		})
	}
}

// An owner that cannot be found is refused (fail closed): here the request carries no
// connection at all, as the fuzz test's handler calls do.
func TestCatcherRefusesAnUnknownPeer(t *testing.T) {
	c := catcherListen(t, hostIPv4, 0)
	c.Expect("st")
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:"+strconv.Itoa(c.Port())+"/callback?state=st&code=x", nil)
	if err := peerIsThisUser(req); err == nil {
		t.Fatal("a request whose connection is unknown was accepted")
	}
	req = req.WithContext(context.WithValue(req.Context(), http.LocalAddrContextKey, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: c.Port()}))
	req.RemoteAddr = "127.0.0.1:1" // no such socket
	if err := peerIsThisUser(req); err == nil {
		t.Fatal("a connection that is not in /proc/net/tcp was accepted")
	}
}

// The kernel's sock_diag lookup names the same owner as /proc/net/tcp{,6} for both ends of a
// real loopback connection, and knows no socket that does not exist.
func TestSockDiagOwnerMatchesProcNetTCP(t *testing.T) {
	for _, network := range []string{"tcp4", "tcp6"} {
		host := "127.0.0.1:0"
		if network == "tcp6" {
			if !catcherHasIPv6Loopback() {
				continue
			}
			host = "[::1]:0"
		}
		l, err := net.Listen(network, host)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		client, err := net.Dial(network, l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		server, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer server.Close()
		c, s := client.LocalAddr().(*net.TCPAddr).AddrPort(), server.LocalAddr().(*net.TCPAddr).AddrPort()
		for _, pair := range [][2]netip.AddrPort{{c, s}, {s, c}} {
			viaDiag, err := diagSocketOwner(pair[0], pair[1])
			if err != nil {
				t.Fatalf("%s %v→%v: sock_diag: %v", network, pair[0], pair[1], err)
			}
			viaProc, err := procSocketOwner(pair[0], pair[1])
			if err != nil || viaDiag != viaProc || viaDiag != os.Getuid() {
				t.Fatalf("%s %v→%v: sock_diag uid %d, /proc uid %d (%v), want both %d", network, pair[0], pair[1], viaDiag, viaProc, err, os.Getuid())
			}
		}
		if _, err := diagSocketOwner(netip.AddrPortFrom(c.Addr(), 1), s); !errors.Is(err, syscall.ENOENT) {
			t.Fatalf("%s: a socket that does not exist: %v, want ENOENT", network, err)
		}
	}
}
