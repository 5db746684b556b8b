package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectedapps/core"
	"connectedapps/core/secret"
)

// countingStore counts reads, so a test can show the agent answered from memory.
type countingStore struct {
	secret.Store
	gets atomic.Int64
}

func (c *countingStore) Get(key string) (string, error) {
	c.gets.Add(1)
	return c.Store.Get(key)
}

// fixture is a service with one client credentials app ("Machine") against a token endpoint
// handing out at-1, at-2, ... valid for an hour, after delay; and an agent serving it.
type fixture struct {
	svc      *core.Service
	store    *countingStore
	fetches  atomic.Int64
	delay    atomic.Int64 // nanoseconds before the token endpoint answers
	srv      *Server
	logMu    sync.Mutex
	logLines []string
}

// shortRuntimeDir points XDG_RUNTIME_DIR at a new folder with a short path (a test's own
// TempDir, named after the test, can be too long for a socket).
func shortRuntimeDir(t *testing.T) {
	t.Helper()
	dir, err := os.MkdirTemp("", "rt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	t.Setenv("XDG_RUNTIME_DIR", dir)
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	shortRuntimeDir(t)
	t.Setenv(DisableEnv, "")
	f := &fixture{store: &countingStore{Store: secret.NewMemoryStore()}}
	te := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Duration(f.delay.Load()))
		n := f.fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"at-%d","token_type":"Bearer","expires_in":3600}`, n)
	}))
	t.Cleanup(te.Close)
	svc, err := core.NewService(core.Config{Dir: t.TempDir(), Secrets: f.store})
	if err != nil {
		t.Fatal(err)
	}
	app := core.NewApp("Machine")
	app.ClientID, app.TokenURI, app.GrantType = "machine-client", te.URL+"/token", core.GrantClientCredentials
	sec := "s3cret-value"
	if _, err := svc.Add(app, &sec); err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	f.listen(t)
	return f
}

func (f *fixture) listen(t *testing.T) {
	t.Helper()
	srv, err := Listen(f.svc, Options{Who: "test", Log: func(l string) {
		f.logMu.Lock()
		f.logLines = append(f.logLines, l)
		f.logMu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	go srv.Serve()
	t.Cleanup(func() { srv.Close() })
}

func (f *fixture) log() string {
	f.logMu.Lock()
	defer f.logMu.Unlock()
	return strings.Join(f.logLines, "\n")
}

func dial(t *testing.T, f *fixture) *Client {
	t.Helper()
	c, err := Dial(f.svc.Registry.Dir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestAgentAnswersFromMemoryUntilTheRegistryChanges(t *testing.T) {
	f := newFixture(t)
	c := dial(t, f)
	ctx := context.Background()
	app, ts, err := c.Token(ctx, "machine", core.DefaultMinValid)
	if err != nil || ts.AccessToken != "at-1" || app.ProviderName != "Machine" {
		t.Fatalf("first token: %+v %+v %v", app, ts, err)
	}
	// The fetch recorded the connection in apps.json, so the next answer reads the store
	// once more (the agent cannot tell its own change from another process's); then memory.
	if _, _, err := c.Token(ctx, "machine", core.DefaultMinValid); err != nil {
		t.Fatal(err)
	}
	reads := f.store.gets.Load()
	for range 5 {
		if _, ts, err := c.Token(ctx, "Machine", core.DefaultMinValid); err != nil || ts.AccessToken != "at-1" {
			t.Fatalf("cached token: %+v %v", ts, err)
		}
	}
	if n := f.store.gets.Load() - reads; n != 0 {
		t.Errorf("5 cached answers read the store %d times; want 0 (from memory)", n)
	}
	// Another process changes apps.json (as every connect, refresh and disconnect does): the
	// memory is dropped and the store read again; the token there is still fresh.
	if _, err := f.svc.Edit(ctx, "Machine", func(a *core.App) error { a.Scopes = []string{"x"}; return nil }, core.KeepSecret()); err != nil {
		t.Fatal(err)
	}
	if _, ts, err := c.Token(ctx, "machine", core.DefaultMinValid); err != nil || ts.AccessToken != "at-1" {
		t.Fatalf("after the change: %+v %v", ts, err)
	}
	if f.store.gets.Load() == reads {
		t.Error("after apps.json changed the agent still answered from memory")
	}
	if f.fetches.Load() != 1 {
		t.Errorf("%d fetches at the token endpoint, want 1", f.fetches.Load())
	}
	// A min-valid longer than the provider grants is capped at half the token's life, by
	// Service.Token's own rule: the hour-long token held is still handed out.
	if _, ts, err := c.Token(ctx, "machine", 2*time.Hour); err != nil || ts.AccessToken != "at-1" || f.fetches.Load() != 1 {
		t.Fatalf("--min-valid 2h: %+v %v, %d fetches", ts, err, f.fetches.Load())
	}
}

func TestAgentErrorsKeepKindAndMessage(t *testing.T) {
	f := newFixture(t)
	c := dial(t, f)
	_, _, got := c.Token(context.Background(), "nosuch", core.DefaultMinValid)
	_, want := f.svc.Token(context.Background(), "nosuch", core.DefaultMinValid)
	if !errors.Is(got, core.ErrNotFound) || got.Error() != want.Error() || errors.Is(got, ErrUnavailable) {
		t.Fatalf("through the agent: %v; in process: %v", got, want)
	}
	if _, err := c.App(context.Background(), "nosuch"); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("App: %v", err)
	}
}

func TestFiftyClientsAtOnceFetchOnce(t *testing.T) {
	f := newFixture(t)
	f.delay.Store(int64(400 * time.Millisecond)) // longer than FirstByteWait: heartbeats carry it
	var wg sync.WaitGroup
	tokens := make([]string, 50)
	errs := make([]error, 50)
	for i := range 50 {
		wg.Go(func() {
			c, err := Dial(f.svc.Registry.Dir())
			if err != nil {
				errs[i] = err
				return
			}
			defer c.Close()
			_, ts, err := c.Token(context.Background(), "Machine", core.DefaultMinValid)
			if err == nil {
				tokens[i] = ts.AccessToken
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i := range 50 {
		if errs[i] != nil || tokens[i] != "at-1" {
			t.Fatalf("client %d: %q %v", i, tokens[i], errs[i])
		}
	}
	if n := f.fetches.Load(); n != 1 {
		t.Fatalf("%d fetches for 50 clients, want 1", n)
	}
}

func TestSlowProviderIsNotAHungAgent(t *testing.T) {
	f := newFixture(t)
	f.delay.Store(int64(3 * FirstByteWait))
	start := time.Now()
	_, ts, err := dial(t, f).Token(context.Background(), "Machine", core.DefaultMinValid)
	if err != nil || ts.AccessToken != "at-1" {
		t.Fatalf("a fetch of %s through the agent: %+v %v", 3*FirstByteWait, ts, err)
	}
	if d := time.Since(start); d < 3*FirstByteWait {
		t.Fatalf("answered in %s, before the provider did", d)
	}
}

// A socket file left by a killed agent: connecting is refused at once, and the next agent
// replaces the file.
func TestStaleSocketCostsNothingAndIsReplaced(t *testing.T) {
	shortRuntimeDir(t)
	dir := t.TempDir()
	sock, _, err := Paths(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := privateFolder(filepath.Dir(sock)); err != nil {
		t.Fatal(err)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close() // the file stays, nobody listens: a dead agent's socket
	start := time.Now()
	if _, err := Dial(dir); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Dial on a stale socket: %v", err)
	}
	if d := time.Since(start); d > FirstByteWait {
		t.Errorf("a stale socket cost %s; want at once (ECONNREFUSED)", d)
	}
	svc, err := core.NewService(core.Config{Dir: dir, Secrets: secret.NewMemoryStore()})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Listen(svc, Options{})
	if err != nil {
		t.Fatalf("the next agent over a stale socket: %v", err)
	}
	defer srv.Close()
	go srv.Serve()
	c, err := Dial(dir)
	if err != nil {
		t.Fatalf("Dial the new agent: %v", err)
	}
	defer c.Close()
	if st, err := c.Status(context.Background()); err != nil || st.PID != os.Getpid() {
		t.Fatalf("status: %+v %v", st, err)
	}
	// A second agent for the same registry is refused while the first runs.
	if _, err := Listen(svc, Options{}); !errors.Is(err, ErrAlreadyServed) {
		t.Fatalf("a second agent: %v", err)
	}
}

// A listener that accepts and never answers (a hung agent) costs FirstByteWait, then the
// client is told to do the work itself.
func TestHungAgentCostsTheFirstByteWait(t *testing.T) {
	shortRuntimeDir(t)
	dir := t.TempDir()
	sock, _, _ := Paths(dir)
	if err := privateFolder(filepath.Dir(sock)); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close() // held open, never answered
		}
	}()
	c, err := Dial(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	_, _, err = c.Token(context.Background(), "any", core.DefaultMinValid)
	d := time.Since(start)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("a hung agent: %v", err)
	}
	if d < FirstByteWait || d > FirstByteWait+500*time.Millisecond {
		t.Errorf("a hung agent cost %s; want about %s", d, FirstByteWait)
	}
}

func TestFolderAndSocketArePrivate(t *testing.T) {
	f := newFixture(t)
	fi, err := os.Stat(filepath.Dir(f.srv.Socket()))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("folder: %v %v", fi.Mode(), err)
	}
	if fi, err := os.Stat(f.srv.Socket()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket: %v %v", fi.Mode(), err)
	}
	// A folder widened by something else is made private again by the next agent.
	f.srv.Close()
	if err := os.Chmod(filepath.Dir(f.srv.Socket()), 0o755); err != nil {
		t.Fatal(err)
	}
	f.listen(t)
	if fi, _ := os.Stat(filepath.Dir(f.srv.Socket())); fi.Mode().Perm() != 0o700 {
		t.Fatalf("a widened folder stayed %v", fi.Mode().Perm())
	}
}

// Another process moves the secrets to the vault: the agent, still holding the keyring,
// answers nothing from it (the client does the work) and says why once.
func TestStoreSwitchedUnderTheAgentSendsClientsHome(t *testing.T) {
	f := newFixture(t)
	c := dial(t, f)
	if _, _, err := c.Token(context.Background(), "Machine", core.DefaultMinValid); err != nil {
		t.Fatal(err)
	}
	if err := core.WriteStoreChoice(f.svc.Registry.Dir(), core.StoreVault); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Token(context.Background(), "Machine", core.DefaultMinValid); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("after the switch: %v", err)
	}
	if !strings.Contains(f.log(), "moved to the vault store") {
		t.Errorf("log: %q", f.log())
	}
}

func TestProtocolVersionMismatchIsNoAnswer(t *testing.T) {
	f := newFixture(t)
	conn, err := net.Dial("unix", f.srv.Socket())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	data, _ := json.Marshal(request{V: Version + 1, Op: "token", Name: "Machine"})
	conn.Write(append(data, '\n'))
	var rep reply
	conn.SetReadDeadline(time.Now().Add(time.Second))
	if err := json.NewDecoder(conn).Decode(&rep); err != nil || rep.Error == nil || !errors.Is(fromWire(rep.Error), ErrUnavailable) {
		t.Fatalf("a request of another version: %+v %v", rep, err)
	}
}

// The agent serves each account of an app its own token, held apart in memory: a client
// naming the second account never gets the default's (the request carries the account).
func TestAgentServesTheAccountNamed(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	app := core.NewApp("People")
	app.ClientID, app.AuthorizationURI, app.TokenURI = "c", "https://p.example/a", "https://p.example/t"
	added, err := f.svc.Add(app, nil)
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(time.Hour).UTC()
	for _, p := range []struct{ sub, email, token string }{{"s-ann", "ann@example.com", "ann-token"}, {"s-bob", "bob@example.com", "bob-token"}} {
		acct := core.Account{ID: core.AccountIDFor(p.sub), Connection: core.Connection{State: core.StateConnected, Subject: p.sub, Email: p.email, ExpiresAt: &exp}}
		if err := f.svc.Registry.UpdateApp(added.ID, func(a *core.App) error { a.PutAccount(acct); return nil }); err != nil {
			t.Fatal(err)
		}
		raw := fmt.Sprintf(`{"access_token":%q,"token_type":"Bearer","expires_at":%q}`, p.token, exp.Format(time.RFC3339))
		if err := f.store.Set("app/"+added.ID+"/accounts/"+acct.ID+"/tokens", raw); err != nil {
			t.Fatal(err)
		}
	}
	c := dial(t, f)
	for range 2 { // the second round from memory: still each its own
		for sel, want := range map[string]string{"": "ann-token", "ann@example.com": "ann-token", "bob@example.com": "bob-token", "s-bob": "bob-token"} {
			if _, ts, err := c.TokenFor(ctx, "People", sel, core.DefaultMinValid); err != nil || ts.AccessToken != want {
				t.Errorf("TokenFor(%q) = %+v, %v; want %s", sel, ts, err, want)
			}
		}
	}
	_, _, err = c.TokenFor(ctx, "People", "carol@example.com", core.DefaultMinValid)
	if !errors.Is(err, core.ErrNotFound) || !strings.Contains(err.Error(), `People has no account "carol@example.com"`) {
		t.Errorf("an unknown account through the agent: %v", err)
	}
}
