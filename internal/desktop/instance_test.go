package desktop

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// instanceDir is a registry folder with a short private runtime dir, as a desktop session has.
func instanceDir(t *testing.T) string {
	t.Helper()
	rt, err := os.MkdirTemp("", "rt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(rt) })
	t.Setenv("XDG_RUNTIME_DIR", rt)
	return t.TempDir()
}

func TestClaimWindowSecondLaunchAsksTheFirstToShow(t *testing.T) {
	dir := instanceDir(t)
	first, err := ClaimWindow(dir)
	if err != nil {
		t.Fatalf("first claim: %v", err)
	}
	defer first.Close()
	shown := make(chan struct{}, 4)
	go first.Serve(func() { shown <- struct{}{} })

	for range 2 {
		_, err := ClaimWindow(dir)
		if !errors.Is(err, ErrAlreadyRunning) {
			t.Fatalf("second claim = %v; want ErrAlreadyRunning", err)
		}
		select {
		case <-shown:
		case <-time.After(5 * time.Second):
			t.Fatal("the first window was not asked to show itself")
		}
	}
}

func TestClaimWindowAgainAfterClose(t *testing.T) {
	dir := instanceDir(t)
	first, err := ClaimWindow(dir)
	if err != nil {
		t.Fatal(err)
	}
	sock := first.sock
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the socket %s is left after Close: %v", sock, err)
	}
	second, err := ClaimWindow(dir)
	if err != nil {
		t.Fatalf("claim after the first closed: %v", err)
	}
	second.Close()
	_ = first.Close() // a second Close is harmless
}

// A crashed window leaves its socket file behind but not its lock (the OS drops that).
func TestClaimWindowReplacesAStaleSocket(t *testing.T) {
	dir := instanceDir(t)
	sock := instanceSocketPath(dir)
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close() // the file stays, nobody listens: what a crash leaves
	if _, err := os.Stat(sock); err != nil {
		t.Fatalf("the stale socket was not left: %v", err)
	}

	inst, err := ClaimWindow(dir)
	if err != nil {
		t.Fatalf("claim over a stale socket: %v", err)
	}
	defer inst.Close()
	shown := make(chan struct{}, 1)
	go inst.Serve(func() { shown <- struct{}{} })
	if _, err := ClaimWindow(dir); !errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("second claim = %v; want ErrAlreadyRunning", err)
	}
	<-shown
}

// A window that holds the lock but never answers does not keep the second launch waiting
// for ever, and the error says what to do.
func TestClaimWindowFirstDoesNotAnswer(t *testing.T) {
	dir := instanceDir(t)
	first, err := ClaimWindow(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	oldDial, oldReply := instanceDialWait, instanceReplyWait
	instanceDialWait, instanceReplyWait = 200*time.Millisecond, 300*time.Millisecond
	defer func() { instanceDialWait, instanceReplyWait = oldDial, oldReply }()
	// No Serve: connections queue and are never answered.
	start := time.Now()
	_, err = ClaimWindow(dir)
	if err == nil || errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("claim against a silent window = %v; want an error", err)
	}
	if d := time.Since(start); d > instanceDialWait+instanceReplyWait+2*time.Second {
		t.Errorf("waited %v", d)
	}
	if !strings.Contains(err.Error(), "did not answer") || strings.ContainsAny(err.Error(), "\n") {
		t.Errorf("error = %q", err)
	}
}

func TestInstanceSocketPath(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", "/run/user/1000")
	p := instanceSocketPath(dir)
	if filepath.Dir(p) != "/run/user/1000" || !strings.HasSuffix(p, ".sock") {
		t.Errorf("socket = %s; want one in XDG_RUNTIME_DIR", p)
	}
	if other := instanceSocketPath(filepath.Join(dir, "other")); other == p {
		t.Error("two registry folders share one socket")
	}
	t.Setenv("XDG_RUNTIME_DIR", "/"+strings.Repeat("x", 120))
	if p := instanceSocketPath(dir); p != filepath.Join(dir, "locks", "window.sock") {
		t.Errorf("socket with an over-long runtime dir = %s; want the registry folder", p)
	}
	t.Setenv("XDG_RUNTIME_DIR", "")
	if p := instanceSocketPath(dir); p != filepath.Join(dir, "locks", "window.sock") {
		t.Errorf("socket without a runtime dir = %s", p)
	}
}
