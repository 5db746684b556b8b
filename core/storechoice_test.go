package core

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"connectedapps/core/secret"
	"connectedapps/core/secret/secrettest"
)

func TestStoreChoiceSetting(t *testing.T) {
	dir := secrettest.Dir(t)
	if c, err := ReadStoreChoice(dir); err != nil || c != StoreSystem {
		t.Fatalf("no settings file: %q, %v; want system", c, err)
	}
	system := secret.NewMemoryStore()
	if s, err := OpenChosenStore(dir, system, nil); err != nil || s != system {
		t.Fatalf("OpenChosenStore with nothing chosen = %T, %v", s, err)
	}
	// Another setting (from a newer build, say) survives a switch.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(SettingsPath(dir), []byte(`{"future":{"x":1}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteStoreChoice(dir, StoreVault); err != nil {
		t.Fatal(err)
	}
	if c, err := ReadStoreChoice(dir); err != nil || c != StoreVault {
		t.Fatalf("after choosing the vault: %q, %v", c, err)
	}
	data, _ := os.ReadFile(SettingsPath(dir))
	if !strings.Contains(string(data), `"future"`) || !strings.Contains(string(data), `"secret_store": "vault"`) {
		t.Errorf("settings.json: %s", data)
	}
	if m := registryTestMode(t, SettingsPath(dir)); m != 0o600 {
		t.Errorf("settings.json mode %o", m)
	}
	pass := func() (string, error) { return "p", nil }
	s, err := OpenChosenStore(dir, system, pass)
	if v, ok := s.(*secret.VaultStore); err != nil || !ok || v.Path() != secret.OpenVault(dir).Path() || v.Passphrase == nil {
		t.Fatalf("OpenChosenStore with the vault chosen = %#v, %v", s, err)
	}
	if err := WriteStoreChoice(dir, "plaintext"); err == nil {
		t.Error("an unknown store was recorded")
	}

	for name, content := range map[string]string{
		"unparsable":    "{",
		"unknown store": `{"secret_store":"plaintext"}`,
		"not a string":  `{"secret_store":1}`,
	} {
		if err := os.WriteFile(SettingsPath(dir), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadStoreChoice(dir); err == nil || !strings.Contains(err.Error(), SettingsPath(dir)) {
			t.Errorf("%s: ReadStoreChoice = %v; want an error naming the file", name, err)
		}
		if _, err := OpenChosenStore(dir, system, pass); err == nil {
			t.Errorf("%s: a store was opened anyway", name)
		}
	}
	// A file that does not parse is never overwritten; a wrong value in one that does is
	// simply replaced by the next choice.
	if err := os.WriteFile(SettingsPath(dir), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteStoreChoice(dir, StoreSystem); err == nil {
		t.Error("an unparsable settings file was overwritten")
	}
	if data, _ := os.ReadFile(SettingsPath(dir)); string(data) != "{" {
		t.Errorf("the unparsable file changed to %s", data)
	}
}

// switchTestService has two apps, one with a client secret and tokens, in the "system" store.
func switchTestService(t *testing.T) (*Service, *secret.MemoryStore, []App) {
	t.Helper()
	f := newFixture(t, fixtureOpts{dir: secrettest.Dir(t)})
	var apps []App
	for _, name := range []string{"Mail", "Cloud"} {
		app := NewApp(name)
		app.ClientID, app.AuthorizationURI, app.TokenURI = "c", "https://p.example/a", "https://p.example/t"
		apps = append(apps, f.add(t, app, "secret-of-"+name))
	}
	if err := f.svc.Registry.UpdateApp(apps[0].ID, func(a *App) error {
		a.PutAccount(Account{ID: AccountIDFor("sub-1"), Connection: Connection{State: StateConnected, Subject: "sub-1"}})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := f.mem.Set(appTokensKey(t, f.svc, apps[0].ID), `{"access_token":"AT"}`); err != nil {
		t.Fatal(err)
	}
	return f.svc, f.mem, apps
}

func TestUseVaultAndBack(t *testing.T) {
	svc, system, apps := switchTestService(t)
	dir := svc.Registry.Dir()
	vault := secrettest.OpenVault(t, dir, secrettest.Pass)

	res, err := svc.UseVault(context.Background(), system, vault)
	if err != nil || res.Moved != 3 || res.SystemUnreachable != nil || res.LeftBehind != 0 {
		t.Fatalf("UseVault = %+v, %v", res, err)
	}
	if c, _ := ReadStoreChoice(dir); c != StoreVault {
		t.Errorf("choice after UseVault: %q", c)
	}
	if keys := system.Keys(); len(keys) != 0 {
		t.Errorf("left in the system store: %q", keys)
	}
	// A later process opens the vault and finds everything.
	later, err := OpenChosenStore(dir, system, func() (string, error) { return secrettest.Pass, nil })
	if err != nil {
		t.Fatal(err)
	}
	if got, err := later.Get(clientSecretKey(apps[1].ID)); err != nil || got != "secret-of-Cloud" {
		t.Errorf("client secret in the vault: %q, %v", got, err)
	}
	if got, err := later.Get(appTokensKey(t, svc, apps[0].ID)); err != nil || got != `{"access_token":"AT"}` {
		t.Errorf("tokens in the vault: %q, %v", got, err)
	}
	if res, err := svc.UseVault(context.Background(), system, vault); err != nil || !res.Already {
		t.Errorf("UseVault again = %+v, %v; want Already", res, err)
	}

	res, err = svc.UseSystem(context.Background(), system, vault)
	if err != nil || res.Moved != 3 || res.LeftBehind != 0 {
		t.Fatalf("UseSystem = %+v, %v", res, err)
	}
	if c, _ := ReadStoreChoice(dir); c != StoreSystem {
		t.Errorf("choice after UseSystem: %q", c)
	}
	if vault.Exists() {
		t.Error("the vault file is still there after moving out")
	}
	want := []string{clientSecretKey(apps[0].ID), clientSecretKey(apps[1].ID), appTokensKey(t, svc, apps[0].ID)}
	got := system.Keys()
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("system store after UseSystem: %q, want %q", got, want)
	}
	if res, err := svc.UseSystem(context.Background(), system, vault); err != nil || !res.Already {
		t.Errorf("UseSystem again = %+v, %v; want Already", res, err)
	}
}

func TestUseVaultWithoutKeyringStartsEmpty(t *testing.T) {
	svc, system, _ := switchTestService(t)
	system.Fail = Failf(ErrKeyringUnavailable, "the system keyring cannot be reached")
	vault := secrettest.OpenVault(t, svc.Registry.Dir(), secrettest.Pass)
	res, err := svc.UseVault(context.Background(), system, vault)
	if err != nil || res.Moved != 0 || res.SystemUnreachable == nil {
		t.Fatalf("UseVault without a keyring = %+v, %v", res, err)
	}
	if c, _ := ReadStoreChoice(svc.Registry.Dir()); c != StoreVault || !vault.Exists() {
		t.Errorf("choice %q, vault written %v", c, vault.Exists())
	}
	if keys, err := vault.Keys(); err != nil || len(keys) != 0 {
		t.Errorf("vault keys %q, %v", keys, err)
	}

	// Back to a keyring that still cannot be reached: refused, the vault stays in use.
	if err := vault.Set("k", "v"); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(vault.Path())
	if _, err := svc.UseSystem(context.Background(), system, vault); !errors.Is(err, ErrKeyringUnavailable) || !strings.Contains(err.Error(), "vault stays in use") {
		t.Fatalf("UseSystem without a keyring = %v", err)
	}
	if c, _ := ReadStoreChoice(svc.Registry.Dir()); c != StoreVault {
		t.Errorf("choice after a refused UseSystem: %q", c)
	}
	if after, _ := os.ReadFile(vault.Path()); string(after) != string(before) {
		t.Error("a refused UseSystem changed the vault")
	}
}

func TestUseVaultWrongPassphraseChangesNothing(t *testing.T) {
	svc, system, _ := switchTestService(t)
	dir := svc.Registry.Dir()
	if err := secrettest.OpenVault(t, dir, secrettest.Pass).Set("old", "x"); err != nil { // a vault left from before
		t.Fatal(err)
	}
	before, _ := os.ReadFile(secret.OpenVault(dir).Path())
	wrong := secrettest.OpenVault(t, dir, "not it")
	if _, err := svc.UseVault(context.Background(), system, wrong); !errors.Is(err, ErrWrongPassphrase) || !strings.Contains(err.Error(), "the vault passphrase is wrong: ") {
		t.Fatalf("UseVault with the wrong passphrase = %v", err)
	}
	if c, _ := ReadStoreChoice(dir); c != StoreSystem {
		t.Errorf("choice: %q", c)
	}
	if len(system.Keys()) != 3 {
		t.Errorf("the system store lost secrets: %q", system.Keys())
	}
	if after, _ := os.ReadFile(secret.OpenVault(dir).Path()); string(after) != string(before) {
		t.Error("the vault changed")
	}
}

// readHook is a store that calls onGet after each read (the move reading the keyring).
type readHook struct {
	secret.Store
	onGet func(key string)
}

func (h *readHook) Get(key string) (string, error) {
	v, err := h.Store.Get(key)
	h.onGet(key)
	return v, err
}

// The window's store: a refresh writes new tokens while the move is reading the keyring. The
// write must wait for the move and land in the vault; written into the keyring being left, it
// would be deleted there with the moved copies and lost.
func TestStoreSwitchHoldsWritesDuringAMove(t *testing.T) {
	svc, mem, apps := switchTestService(t)
	key := appTokensKey(t, svc, apps[0].ID)
	var sw *StoreSwitch
	var once sync.Once
	written := make(chan error, 1)
	system := &readHook{Store: mem, onGet: func(k string) {
		if k != key {
			return
		}
		once.Do(func() {
			go func() { written <- sw.Set(key, `{"access_token":"AT-new"}`) }()
			select { // without the hold the write lands at once; with it, it waits for the move
			case err := <-written:
				written <- err
			case <-time.After(200 * time.Millisecond):
			}
		})
	}}
	sw = NewStoreSwitch(system, system)
	svc.Secrets = sw
	vault := secrettest.OpenVault(t, svc.Registry.Dir(), secrettest.Pass)

	res, err := svc.UseVault(context.Background(), system, vault)
	if err != nil || res.Moved != 3 {
		t.Fatalf("UseVault = %+v, %v", res, err)
	}
	if err := <-written; err != nil {
		t.Fatalf("the write during the move: %v", err)
	}
	if sw.InUse() != secret.Store(vault) {
		t.Fatalf("the switch uses %T after the move", sw.InUse())
	}
	if keys := mem.Keys(); len(keys) != 0 {
		t.Errorf("left in the keyring: %q", keys)
	}
	if got, err := sw.Get(key); err != nil || got != `{"access_token":"AT-new"}` {
		t.Errorf("the tokens after the move: %q, %v; want those written during it", got, err)
	}

	if _, err := svc.UseSystem(context.Background(), system, vault); err != nil {
		t.Fatal(err)
	}
	if sw.InUse() != secret.Store(system) {
		t.Fatalf("the switch uses %T after the way back", sw.InUse())
	}
	if got, err := mem.Get(key); err != nil || got != `{"access_token":"AT-new"}` {
		t.Errorf("the tokens back in the keyring: %q, %v", got, err)
	}
}

// storeTestPreparing counts the Prepare calls that reach the store in use.
type storeTestPreparing struct {
	*secret.MemoryStore
	prepared int
}

func (p *storeTestPreparing) Prepare() { p.prepared++ }

// TestTokenAndConnectPrepareTheKeyring: both start the keyring's connection before they read
// the registry (a D-Bus connect costs about as long as the read), through the store switch.
func TestTokenAndConnectPrepareTheKeyring(t *testing.T) {
	inUse := &storeTestPreparing{MemoryStore: secret.NewMemoryStore()}
	f := newFixture(t, fixtureOpts{secrets: NewStoreSwitch(inUse, inUse)})
	if _, err := f.svc.Token(context.Background(), "nobody registered this", DefaultMinValid); err == nil {
		t.Fatal("Token of an unknown app succeeded")
	}
	if inUse.prepared != 1 {
		t.Fatalf("token prepared the store %d times, want 1", inUse.prepared)
	}
	if _, err := f.svc.Connect(context.Background(), "nobody registered this", ConnectOptions{}); err == nil {
		t.Fatal("Connect of an unknown app succeeded")
	}
	if inUse.prepared != 2 {
		t.Fatalf("after connect the store was prepared %d times, want 2", inUse.prepared)
	}
}
