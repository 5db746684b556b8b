package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// syncBuffer lets the test read a child's stdout while it is still writing.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// await polls the output until found says it holds what the test waits for, and fails the
// test with the output so far if that takes longer than timeout.
func (s *syncBuffer) await(t *testing.T, timeout time.Duration, what string, found func(out string) bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !found(s.String()); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %s in the output:\n%s", what, timeout, s.String())
		}
	}
}

// start runs the binary in the background with a stdin pipe, for interactive commands.
func (u *user) start(args ...string) (*exec.Cmd, io.WriteCloser, *syncBuffer) {
	u.t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = u.env
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	stdin, err := cmd.StdinPipe()
	if err != nil {
		u.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		u.t.Fatal(err)
	}
	u.t.Cleanup(func() { _ = cmd.Process.Kill() })
	return cmd, stdin, out
}

// newBadDiscoveryServer serves the ways a discovery URL goes wrong.
func newBadDiscoveryServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/html/.well-known/openid-configuration":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<html><body>Welcome</body></html>")
		case "/other-issuer/.well-known/openid-configuration":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"issuer":"https://elsewhere.example","authorization_endpoint":"http://%[1]s/a","token_endpoint":"http://%[1]s/t"}`, r.Host)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}
