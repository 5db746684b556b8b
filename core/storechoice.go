package core

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"connectedapps/core/secret"
)

// OpenChosenStore is the secret store chosen in dir: system itself, or the vault there with
// passphrase as its Passphrase.
func OpenChosenStore(dir string, system secret.Store, passphrase func() (string, error)) (secret.Store, error) {
	choice, err := ReadStoreChoice(dir)
	if err != nil {
		return nil, err
	}
	if choice == StoreVault {
		v := secret.OpenVault(dir)
		v.Passphrase = passphrase
		return v, nil
	}
	return system, nil
}

// StoreSwitch is the secret store of a program that lives while the person changes stores
// (the window): every call goes to the store in use, and UseVault and UseSystem change which
// that is. A switch waits for the calls under way and holds new ones until the secrets have
// moved, so nothing this program writes lands in the store being left.
type StoreSwitch struct {
	system secret.Store
	mu     sync.RWMutex
	inUse  secret.Store
}

// NewStoreSwitch is a switch over system (the OS keyring) with inUse the store chosen now.
func NewStoreSwitch(system, inUse secret.Store) *StoreSwitch {
	return &StoreSwitch{system: system, inUse: inUse}
}

// System is the OS keyring the switch moves secrets from and back to.
func (w *StoreSwitch) System() secret.Store { return w.system }

// InUse is the store calls go to now.
func (w *StoreSwitch) InUse() secret.Store {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.inUse
}

// Prepare readies the store in use.
func (w *StoreSwitch) Prepare() { secret.Prepare(w.InUse()) }

// Probe asks the store in use, held like a read so a move cannot pass it.
func (w *StoreSwitch) Probe(key string) error {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return secret.Probe(w.inUse, key)
}

func (w *StoreSwitch) Get(key string) (string, error) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.inUse.Get(key)
}

func (w *StoreSwitch) Set(key, value string) error {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.inUse.Set(key, value)
}

func (w *StoreSwitch) Delete(key string) error {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.inUse.Delete(key)
}

// holdSwitch, when the service's store is a StoreSwitch, holds its calls for a move and
// returns done, which puts to in use when the move succeeded (ok) and lets the calls go on.
// It is taken after the file locks, never before: a refresh holding its lock may be inside a
// store call, and must be able to finish it.
func (s *Service) holdSwitch(to secret.Store) (done func(ok bool)) {
	sw, isSwitch := s.Secrets.(*StoreSwitch)
	if !isSwitch {
		return func(bool) {}
	}
	sw.mu.Lock()
	return func(ok bool) {
		if ok {
			sw.inUse = to
		}
		sw.mu.Unlock()
	}
}

// prepareSecrets starts the secret store getting ready (the keyring's connection) for a call
// that will need it after other work.
func (s *Service) prepareSecrets() { secret.Prepare(s.Secrets) }

// inUseStore is the store behind a StoreSwitch, or store itself.
func inUseStore(store secret.Store) secret.Store {
	if sw, ok := store.(*StoreSwitch); ok {
		return sw.InUse()
	}
	return store
}

// SwitchResult says what a switch of secret store did.
type SwitchResult struct {
	Already bool // the chosen store was already in use; nothing was done
	Moved   int  // secrets moved
	// SystemUnreachable, on a switch to the vault, is why the system keyring could not be
	// read: the vault then starts empty.
	SystemUnreachable error
	// LeftBehind counts secrets copied to the new store that could not be deleted from the
	// old one.
	LeftBehind int
}

// secretKeys are the keyring entries every registered app may have.
func (s *Service) secretKeys() ([]App, []string, error) {
	apps, err := s.Registry.Load()
	if err != nil {
		return nil, nil, err
	}
	var keys []string
	for _, a := range apps {
		keys = append(append(keys, clientSecretKey(a.ID)), tokenKeys(&a)...)
	}
	return apps, keys, nil
}

// lockAllApps takes every account's refresh lock, so no token is refreshed (and written to the old
// store) while the secrets move. A process that was waiting reads the old store after the
// move, finds the tokens gone and fails once; none is lost.
func (s *Service) lockAllApps(ctx context.Context, apps []App) (func(), error) {
	ids := make([]string, 0, len(apps))
	for _, a := range apps {
		for _, acct := range a.Accounts {
			ids = append(ids, a.ID+"\x00"+acct.ID)
		}
	}
	slices.Sort(ids) // one order for every process: no deadlock between two switches
	var unlocks []func()
	release := func() {
		for _, u := range slices.Backward(unlocks) {
			u()
		}
	}
	for _, id := range ids {
		app, acct, _ := strings.Cut(id, "\x00")
		u, err := lockFile(ctx, s.accountLock(app, acct), lockWait)
		if err != nil {
			release()
			return nil, err
		}
		unlocks = append(unlocks, u)
	}
	return release, nil
}

// UseVault moves every app's secrets from system into vault and records the choice. A
// service whose store is a StoreSwitch (the window's) uses the vault from then on; any other
// service's store is left alone (the next process opens the vault). When the system
// keyring cannot be read the vault starts empty and the result says why. The vault must be
// unlocked, or have a Passphrase, first.
func (s *Service) UseVault(ctx context.Context, system secret.Store, vault *secret.VaultStore) (SwitchResult, error) {
	dir := s.Registry.Dir()
	keys, release, already, err := s.beginStoreSwitch(ctx, StoreVault)
	if err != nil || already {
		return SwitchResult{Already: already}, err
	}
	defer release()
	switched := false
	done := s.holdSwitch(vault)
	defer func() { done(switched) }()

	res := SwitchResult{}
	values := map[string]string{}
	if _, err := system.Get(probeKey); err != nil && !errors.Is(err, ErrNotFound) {
		res.SystemUnreachable = err
	} else {
		for _, k := range keys {
			v, err := system.Get(k)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return SwitchResult{}, fmt.Errorf("%w; nothing was changed", err)
			}
			values[k] = v
		}
	}
	if err := vault.SetAll(values); err != nil {
		return SwitchResult{}, fmt.Errorf("%w; nothing was changed", err)
	}
	if err := WriteStoreChoice(dir, StoreVault); err != nil {
		return SwitchResult{}, fmt.Errorf("%w; the secrets were copied into %s but the system keyring stays in use", err, vault.Path())
	}
	switched = true
	res.Moved = len(values)
	for k := range values {
		if err := system.Delete(k); err != nil {
			res.LeftBehind++
		}
	}
	return res, nil
}

// UseSystem moves every secret from vault back into system, records the choice and removes
// the vault file (a StoreSwitch then uses system, as UseVault says). If the keyring cannot
// take them, the vault stays in use, unchanged.
func (s *Service) UseSystem(ctx context.Context, system secret.Store, vault *secret.VaultStore) (SwitchResult, error) {
	dir := s.Registry.Dir()
	_, release, already, err := s.beginStoreSwitch(ctx, StoreSystem)
	if err != nil || already {
		return SwitchResult{Already: already}, err
	}
	defer release()
	switched := false
	done := s.holdSwitch(system)
	defer func() { done(switched) }()

	values, err := vault.All()
	if err != nil {
		return SwitchResult{}, fmt.Errorf("%w; the vault stays in use", err)
	}
	if _, err := system.Get(probeKey); err != nil && !errors.Is(err, ErrNotFound) {
		return SwitchResult{}, fmt.Errorf("%w; the vault stays in use, unchanged", err)
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if err := system.Set(k, values[k]); err != nil {
			for _, done := range keys[:i] { // best effort: the copies would only be stale duplicates
				_ = system.Delete(done)
			}
			return SwitchResult{}, fmt.Errorf("%w; the vault stays in use, unchanged", err)
		}
	}
	if err := WriteStoreChoice(dir, StoreSystem); err != nil {
		return SwitchResult{}, fmt.Errorf("%w; the secrets were copied into the system keyring but the vault stays in use", err)
	}
	switched = true
	res := SwitchResult{Moved: len(values)}
	if err := vault.Remove(); err != nil {
		res.LeftBehind = len(values)
	}
	return res, nil
}

// beginStoreSwitch takes the switch lock, says whether target is already in use, and
// otherwise holds every app's refresh lock (so no refresh writes a secret mid-move) and
// returns the secret keys to move. release undoes both locks.
func (s *Service) beginStoreSwitch(ctx context.Context, target string) (keys []string, release func(), already bool, err error) {
	dir := s.Registry.Dir()
	unlock, err := lockFile(ctx, filepath.Join(dir, "locks", "secret-store-switch.lock"), lockWait)
	if err != nil {
		return nil, nil, false, err
	}
	fail := func(err error) ([]string, func(), bool, error) { unlock(); return nil, nil, false, err }
	choice, err := ReadStoreChoice(dir)
	if err != nil {
		return fail(err)
	}
	if choice == target {
		unlock()
		return nil, nil, true, nil
	}
	apps, keys, err := s.secretKeys()
	if err != nil {
		return fail(err)
	}
	releaseApps, err := s.lockAllApps(ctx, apps)
	if err != nil {
		return fail(err)
	}
	return keys, func() { releaseApps(); unlock() }, false, nil
}
