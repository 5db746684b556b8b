package desktop

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"connectedapps/internal/fsutil"
)

// ErrAlreadyRunning says another process already has the window open for this registry;
// ClaimWindow asked it to come to the front.
var ErrAlreadyRunning = errors.New("the window is already open")

// How long a second launch waits for the first to answer: the first may be between taking
// its lock and listening, or busy starting up. (Variables so tests can shorten them.)
var (
	instanceDialWait  = 3 * time.Second
	instanceReplyWait = 5 * time.Second
)

// maxSocketPath is the shortest limit on a unix socket path among the platforms (macOS: 104
// bytes including the terminating NUL; Linux allows 108).
const maxSocketPath = 103

// Instance is this process's claim to be the one window over a registry: a lock file held
// for the process's lifetime (released by the OS if it dies, so a crash never blocks the next
// start) and a unix socket where later launches ask it to show itself.
type Instance struct {
	unlock   func()
	ln       net.Listener
	sock     string
	closeOne sync.Once
}

// ClaimWindow makes this process the window for the registry in dir. When another process
// already is, it asks that one to show itself and returns ErrAlreadyRunning; the caller then
// exits. Any other error means the claim could not be made or checked: opening a second
// window anyway is safe (every change goes through the registry's lock), merely untidy.
func ClaimWindow(dir string) (*Instance, error) {
	lock := filepath.Join(dir, "locks", "window.lock")
	sock := instanceSocketPath(dir)
	unlock, ok, err := fsutil.TryLockFile(lock)
	if err != nil {
		return nil, err
	}
	if !ok {
		if err := askToShow(sock); err != nil {
			return nil, fmt.Errorf("another Connected Apps window holds %s but did not answer on %s (%v): if it hangs, end it, then start again", lock, sock, err)
		}
		return nil, ErrAlreadyRunning
	}
	// Holding the lock, any socket file left is a dead process's.
	if err := os.Remove(sock); err != nil && !errors.Is(err, fs.ErrNotExist) {
		unlock()
		return nil, fmt.Errorf("cannot remove the stale socket %s: %w", sock, err)
	}
	if err := os.MkdirAll(filepath.Dir(sock), 0o700); err != nil {
		unlock()
		return nil, fmt.Errorf("cannot create the folder for %s: %w", sock, err)
	}
	ln, err := net.Listen("unix", sock)
	if err != nil {
		unlock()
		return nil, fmt.Errorf("cannot listen on %s: %w", sock, err)
	}
	_ = os.Chmod(sock, 0o600) // the folder is private already; this is belt and braces
	return &Instance{unlock: unlock, ln: ln, sock: sock}, nil
}

// instanceSocketPath is in XDG_RUNTIME_DIR when there is one (the place for sockets: private,
// local, emptied at logout), named after the registry folder so two registries (another
// XDG_CONFIG_HOME) each get their own window; otherwise, or when that path would be too long
// for a socket, in the registry folder itself.
func instanceSocketPath(dir string) string {
	if rt := os.Getenv("XDG_RUNTIME_DIR"); rt != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			abs = dir
		}
		sum := sha256.Sum256([]byte(abs))
		p := filepath.Join(rt, "connectedapps-"+hex.EncodeToString(sum[:6])+".sock")
		if len(p) <= maxSocketPath {
			return p
		}
	}
	return filepath.Join(dir, "locks", "window.sock")
}

// Serve answers "show" requests from later launches by calling show, until Close. It runs on
// the caller's goroutine; show is called on it too.
func (i *Instance) Serve(show func()) {
	for {
		conn, err := i.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(100 * time.Millisecond) // e.g. out of file descriptors: do not spin
			continue
		}
		i.answer(conn, show)
	}
}

func (i *Instance) answer(conn net.Conn, show func()) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(instanceReplyWait))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return
	}
	if strings.TrimSpace(line) != "show" {
		_, _ = conn.Write([]byte("unknown request\n"))
		return
	}
	show()
	_, _ = conn.Write([]byte("ok\n"))
}

// Close stops answering and gives up the claim.
func (i *Instance) Close() error {
	var err error
	i.closeOne.Do(func() {
		err = i.ln.Close() // removes the socket file too
		i.unlock()
	})
	return err
}

// askToShow asks the window listening on sock to show itself and waits for its "ok".
func askToShow(sock string) error {
	deadline := time.Now().Add(instanceDialWait)
	var conn net.Conn
	var err error
	for {
		conn, err = net.DialTimeout("unix", sock, time.Second)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond) // the first process may not be listening yet
	}
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(instanceReplyWait))
	if _, err := conn.Write([]byte("show\n")); err != nil {
		return err
	}
	reply, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(reply) != "ok" {
		return fmt.Errorf("it answered %q", strings.TrimSpace(reply))
	}
	return nil
}
