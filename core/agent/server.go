package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"connectedapps/core"
	"connectedapps/internal/fsutil"
)

// Options say who serves and how it reports.
type Options struct {
	// Who is said by `connectedapps agent --status`: "the window" or "connectedapps agent".
	Who string
	// Log gets one line per event a person may want to know of (a connection from another
	// user refused, a store switched under the agent); never a secret. Nil: discarded.
	Log func(line string)
	// InUse is the secret store the service uses now (core.StoreSystem or core.StoreVault).
	// While settings.json chooses another, the agent answers nothing from its store and the
	// clients do the work themselves (a `keyring use-vault` by another process moved the
	// secrets away from under it). Nil: the store chosen when Listen was called, for a process
	// whose store cannot change (the window's follows its own switch and says so here).
	InUse func() string
}

// Server is the agent's side: the socket, the lock that makes it the one agent for its
// registry, and what it holds in memory.
type Server struct {
	svc     *core.Service
	opts    Options
	ln      *net.UnixListener
	sock    string
	unlock  func()
	started time.Time

	served, refused atomic.Int64

	mu      sync.Mutex
	version version                   // of apps.json and settings.json when the memory below was filled
	choice  string                    // the store settings.json chose in that version
	apps    map[string]core.App       // by the name (or id) asked for
	tokens  map[string]*core.TokenSet // by app id and account id
	appLock map[string]*sync.Mutex    // one token path per account at a time in this process
	warned  string                    // the store switch already logged

	closeOnce sync.Once
	closed    chan struct{}
	conns     sync.WaitGroup
}

// version is what the memory is valid for.
type version struct{ registry, settings fileID }

// Listen makes this process the agent for svc's registry: it takes the agent's lock (held
// until Close, released by the OS if the process dies, so a killed agent never blocks the
// next), replaces a socket left by a dead one, and listens in a private folder (0700, socket
// 0600). ErrNoRuntimeDir: no agent here; ErrAlreadyServed: another process serves already.
func Listen(svc *core.Service, opts Options) (*Server, error) {
	sock, lock, err := Paths(svc.Registry.Dir())
	if err != nil {
		return nil, err
	}
	if err := privateFolder(filepath.Dir(sock)); err != nil {
		return nil, err
	}
	unlock, ok, err := fsutil.TryLockFile(lock)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w (%s is held)", ErrAlreadyServed, lock)
	}
	// Holding the lock, a socket file still there is a dead agent's.
	if err := os.Remove(sock); err != nil && !errors.Is(err, fs.ErrNotExist) {
		unlock()
		return nil, fmt.Errorf("cannot remove the stale agent socket %s: %w", sock, err)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		unlock()
		return nil, fmt.Errorf("cannot listen on %s: %w; the command line works without the agent", sock, err)
	}
	// The folder is private already (no other user can reach the socket); 0600 is belt and
	// braces, and SO_PEERCRED on every connection is the check that counts.
	if err := os.Chmod(sock, 0o600); err != nil {
		ln.Close()
		unlock()
		return nil, fmt.Errorf("cannot make %s private: %w", sock, err)
	}
	if opts.InUse == nil {
		choice, err := core.ReadStoreChoice(svc.Registry.Dir())
		if err != nil {
			ln.Close()
			unlock()
			return nil, err
		}
		opts.InUse = func() string { return choice }
	}
	if opts.Log == nil {
		opts.Log = func(string) {}
	}
	return &Server{svc: svc, opts: opts, ln: ln, sock: sock, unlock: unlock, started: time.Now(),
		apps: map[string]core.App{}, tokens: map[string]*core.TokenSet{}, appLock: map[string]*sync.Mutex{},
		closed: make(chan struct{})}, nil
}

// privateFolder makes dir (0700) or checks the one there: a folder of ours, which is made
// private again if something widened it. A folder of another user, or anything that is not a
// folder, is refused: whoever made it could replace our socket.
func privateFolder(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cannot create the agent's folder %s: %w", dir, err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("cannot read the agent's folder %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a folder (%v): remove it, then start the agent again", dir, fi.Mode().Type())
	}
	if uid, ok := ownerOf(fi); ok && int(uid) != os.Getuid() {
		return fmt.Errorf("the agent's folder %s belongs to uid %d, not to you (uid %d): remove it, then start the agent again", dir, uid, os.Getuid())
	}
	if fi.Mode().Perm() != 0o700 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("cannot make the agent's folder %s private: %w", dir, err)
		}
	}
	return nil
}

// Socket is the path the agent listens on.
func (s *Server) Socket() string { return s.sock }

// Serve answers connections until Close; it returns nil then.
func (s *Server) Serve() error {
	for {
		conn, err := s.ln.AcceptUnix()
		if err != nil {
			select {
			case <-s.closed:
				return nil
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("the agent stopped accepting on %s: %w", s.sock, err)
		}
		s.conns.Add(1)
		go func() {
			defer s.conns.Done()
			s.handle(conn)
		}()
	}
}

// Close stops listening, removes the socket and releases the lock. Answers under way finish.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.closed)
		_ = s.ln.Close() // removes the socket file
		s.unlock()
	})
	return nil
}

// handle serves one connection: the peer must be this user, then any number of requests.
func (s *Server) handle(conn *net.UnixConn) {
	defer conn.Close()
	uid, pid, err := peerCred(conn)
	if err != nil || int(uid) != os.Getuid() {
		s.refused.Add(1)
		if err != nil {
			s.opts.Log(fmt.Sprintf("agent: refused a connection on %s whose user could not be read (%v)", s.sock, err))
		} else {
			s.opts.Log(fmt.Sprintf("agent: refused a connection from uid %d (pid %d) on %s: only uid %d may ask for tokens", uid, pid, s.sock, os.Getuid()))
		}
		return
	}
	r := bufio.NewReaderSize(conn, 4096)
	w := bufio.NewWriter(conn)
	for {
		_ = conn.SetReadDeadline(time.Now().Add(requestWait))
		line, err := r.ReadSlice('\n')
		if err != nil {
			return // the client is done (or sent a line longer than any request)
		}
		var req request
		if err := json.Unmarshal(line, &req); err != nil {
			_ = s.write(conn, w, reply{V: Version, Error: &wireError{Kinds: []string{kindAgent}, Message: "the agent could not read the request: " + err.Error()}})
			return
		}
		if req.V != Version {
			_ = s.write(conn, w, reply{V: Version, Error: &wireError{Kinds: []string{kindAgent}, Message: fmt.Sprintf("the agent speaks version %d, the request version %d", Version, req.V)}})
			return
		}
		if err := s.answer(conn, w, req); err != nil {
			return
		}
	}
}

// answer does the work of req off this goroutine and sends heartbeats while it runs, then the
// answer. The work is never cut short by the client leaving: a refresh begun is finished and
// its tokens stored (and kept in memory for the next client).
func (s *Server) answer(conn *net.UnixConn, w *bufio.Writer, req request) error {
	done := make(chan reply, 1)
	go func() { done <- s.do(req) }()
	tick := time.NewTicker(heartbeatEvery)
	defer tick.Stop()
	for {
		select {
		case rep := <-done:
			if rep.Error == nil {
				s.served.Add(1)
			}
			return s.write(conn, w, rep)
		case <-tick.C:
			if err := s.write(conn, w, reply{V: Version, Wait: true}); err != nil {
				return err
			}
		}
	}
}

func (s *Server) write(conn *net.UnixConn, w *bufio.Writer, rep reply) error {
	data, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
	w.Write(data)
	w.WriteByte('\n')
	return w.Flush()
}

func (s *Server) do(req request) reply {
	switch req.Op {
	case "status":
		st := s.status()
		return reply{V: Version, Status: &st}
	case "app":
		app, err := s.app(req.Name)
		if err != nil {
			return reply{V: Version, Error: toWire(err)}
		}
		return reply{V: Version, App: &app}
	case "token":
		app, ts, err := s.token(req.Name, req.Account, req.MinValid)
		if err != nil {
			return reply{V: Version, Error: toWire(err)}
		}
		return reply{V: Version, App: &app, Tokens: ts}
	}
	return reply{V: Version, Error: &wireError{Kinds: []string{kindAgent}, Message: fmt.Sprintf("the agent knows no request %q", req.Op)}}
}

// current is the version of the files now; memory filled for another version is dropped.
// It is read before anything is read from the registry or the store, so what is kept under a
// version was read no earlier than that version: a change after it moves the version, and the
// next request reads again.
func (s *Server) current() (version, error) {
	dir := s.svc.Registry.Dir()
	v := version{registry: idOf(s.svc.RegistryPath()), settings: idOf(core.SettingsPath(dir))}
	s.mu.Lock()
	defer s.mu.Unlock()
	if v != s.version || s.choice == "" {
		choice, err := core.ReadStoreChoice(dir)
		if err != nil {
			return v, err
		}
		s.version, s.choice = v, choice
		clear(s.apps)
		clear(s.tokens)
	}
	choice := s.choice
	if inUse := s.opts.InUse(); choice != inUse {
		if s.warned != choice {
			s.warned = choice
			s.opts.Log(fmt.Sprintf("agent: the secrets were moved to the %s store since this agent opened the %s store: the command line works without the agent until it is restarted", choice, inUse))
		}
		return v, &agentError{"the secrets moved to the " + choice + " store since the agent started"}
	}
	return v, nil
}

// app finds name as Service.Get does, from memory while apps.json is unchanged.
func (s *Server) app(name string) (core.App, error) {
	v, err := s.current()
	if err != nil {
		return core.App{}, err
	}
	s.mu.Lock()
	app, ok := s.apps[name]
	s.mu.Unlock()
	if ok {
		return app, nil
	}
	app, err = s.svc.Get(name)
	if err != nil {
		return core.App{}, err
	}
	s.mu.Lock()
	if s.version == v {
		s.apps[name] = app
	}
	s.mu.Unlock()
	return app, nil
}

// token is Service.Token from memory when the token held is fresh enough by Token's own rule
// and nothing changed since it was read; otherwise Service.Token itself (the store, and a
// refresh under the cross-process lock when it is due). One request per app at a time does
// the work here, so 50 clients asking at once cost one store read, not 50. Each account of
// an app is held and worked on apart: one account's refresh never waits for another's.
func (s *Server) token(name, account string, minValid time.Duration) (core.App, *core.TokenSet, error) {
	app, err := s.app(name)
	if err != nil {
		return core.App{}, nil, err
	}
	key := app.ID + "/"
	if acct := app.FindAccount(account); acct != nil {
		key += acct.ID
	} else {
		key += "?" + account // unknown: Service.TokenFor says so (or, with none, not connected)
	}
	s.mu.Lock()
	l := s.appLock[key]
	if l == nil {
		l = &sync.Mutex{}
		s.appLock[key] = l
	}
	s.mu.Unlock()
	l.Lock()
	defer l.Unlock()
	v, err := s.current()
	if err != nil {
		return core.App{}, nil, err
	}
	s.mu.Lock()
	ts := s.tokens[key]
	s.mu.Unlock()
	if ts != nil && !ts.Stale(s.svc.Now(), minValid) {
		return app, ts, nil
	}
	// Not the client's context: a refresh begun is finished even if the client leaves, so a
	// rotated refresh token is always stored.
	ts, err = s.svc.TokenFor(context.Background(), app.ID, account, minValid)
	if err != nil {
		return core.App{}, nil, err
	}
	s.mu.Lock()
	if s.version == v {
		s.tokens[key] = ts
	}
	s.mu.Unlock()
	return app, ts, nil
}

func (s *Server) status() Status {
	s.mu.Lock()
	cached := len(s.tokens)
	s.mu.Unlock()
	who := s.opts.Who
	if who == "" {
		who = "an agent process"
	}
	return Status{PID: os.Getpid(), Who: who, Registry: s.svc.Registry.Dir(), Socket: s.sock, Store: s.opts.InUse(),
		Since: s.started.UTC().Round(time.Second), Served: s.served.Load(), Refused: s.refused.Load(), Cached: cached}
}
