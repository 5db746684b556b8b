package gui

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"connectedapps/core"
	"connectedapps/core/secret"
	"connectedapps/core/secret/secrettest"
)

const guiVaultPass = "a long passphrase"

// lockedVaultService is a service whose secrets are in a vault holding one client secret,
// opened as the window opens it: locked, with no passphrase from the environment.
func lockedVaultService(t *testing.T) (*core.Service, *secret.VaultStore) {
	t.Helper()
	secrettest.CheapKDF(t)
	dir := filepath.Join(t.TempDir(), "connectedapps")
	seed := secret.OpenVault(dir)
	seed.Passphrase = func() (string, error) { return guiVaultPass, nil }
	if err := seed.Set("app/x/client_secret", "the-secret"); err != nil {
		t.Fatal(err)
	}
	svc := vaultChosenService(t, dir)
	return svc, svc.Secrets.(*secret.VaultStore)
}

// vaultChosenService is a Service on dir with the vault chosen in settings.json, its store
// opened as the window opens it: locked, with no passphrase from the environment.
func vaultChosenService(t *testing.T, dir string) *core.Service {
	t.Helper()
	if err := core.WriteStoreChoice(dir, core.StoreVault); err != nil {
		t.Fatal(err)
	}
	store, err := core.OpenChosenStore(dir, secret.NewMemoryStore(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return serviceOn(t, dir, store, func() time.Time { return testNow })
}

// readInBackground reads the client secret as a background job (a refresh, a copy) would.
func readInBackground(store secret.Store) chan error {
	done := make(chan error, 1)
	go func() {
		v, err := store.Get("app/x/client_secret")
		if err == nil && v != "the-secret" {
			err = errors.New("read " + v)
		}
		done <- err
	}()
	return done
}

func TestVaultPassphraseDialogUnlocksBeforeTheFirstRead(t *testing.T) {
	svc, store := lockedVaultService(t)
	w := openWindowOn(t, svc)
	u := setupVault(w.env, w.win, svc.Secrets)
	if u == nil || w.env.vault != u {
		t.Fatal("no passphrase dialog for a locked vault")
	}
	assertDialogShows(t, w, "Type its passphrase", store.Path())

	// A secret read started meanwhile waits for the answer instead of failing.
	read := readInBackground(svc.Secrets)
	select {
	case err := <-read:
		t.Fatalf("a read did not wait for the passphrase: %v", err)
	case <-time.After(100 * time.Millisecond):
	}

	test.Type(u.pass, "wrong passphrase")
	tapDialogButton(t, w, "Unlock")
	assertDialogShows(t, w, "the vault passphrase is wrong: ")
	if store.Unlocked() || u.pass.Text != "" {
		t.Fatalf("after a wrong passphrase: unlocked %v, entry %q", store.Unlocked(), u.pass.Text)
	}

	test.Type(u.pass, guiVaultPass)
	u.pass.OnSubmitted(u.pass.Text) // Enter
	if !store.Unlocked() {
		t.Fatal("the right passphrase did not unlock the vault")
	}
	if w.win.Canvas().Overlays().Top() != nil {
		t.Error("the dialog stayed open after unlocking")
	}
	select {
	case err := <-read:
		if err != nil {
			t.Fatalf("the waiting read: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the waiting read never went on")
	}

	// Settings shows the vault as the store, working.
	s := newSettingsScreen(w.env, w.win)
	s.show()
	w.pendingDialog = s.dialog
	assertDialogShows(t, w, "Secret store", "Encrypted vault file "+store.Path(), "Works: it is unlocked and answering.")
	assertNoCommandLine(t, overlayTexts(w))
	if s.unlock.Visible() {
		t.Error("Settings offers Unlock for an unlocked vault")
	}
}

func TestVaultNotNowThenUnlockFromSettings(t *testing.T) {
	svc, store := lockedVaultService(t)
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // Settings reads the autostart entry
	w := openWindowOn(t, svc)
	u := setupVault(w.env, w.win, svc.Secrets)
	tapDialogButton(t, w, "Not now")
	if w.win.Canvas().Overlays().Top() != nil {
		t.Fatal("Not now left the dialog open")
	}
	// Reads now fail at once, saying the vault is locked.
	if _, err := svc.Secrets.Get("app/x/client_secret"); !errors.Is(err, core.ErrVaultLocked) || !strings.Contains(err.Error(), "Unlock") {
		t.Fatalf("a read after Not now = %v", err)
	}

	s := newSettingsScreen(w.env, w.win)
	s.show()
	w.pendingDialog = s.dialog
	assertDialogShows(t, w, "Encrypted vault file", "Locked: ")
	if !s.unlock.Visible() {
		t.Fatal("Settings offers no Unlock for a locked vault")
	}
	test.Tap(s.unlock)
	assertDialogShows(t, w, "Unlock the vault")
	test.Type(u.pass, guiVaultPass)
	tapDialogButton(t, w, "Unlock")
	if !store.Unlocked() {
		t.Fatal("unlocking from Settings did not unlock")
	}
	// The dialog closed and Settings checked again.
	assertDialogShows(t, w, "Works: it is unlocked and answering.")
	if s.unlock.Visible() {
		t.Error("Unlock is still offered")
	}
	if err := <-readInBackground(svc.Secrets); err != nil {
		t.Errorf("a read after unlocking: %v", err)
	}
}

func TestVaultDialogForANewVaultAsksTwice(t *testing.T) {
	svc, store := lockedVaultService(t)
	if err := store.Remove(); err != nil { // chosen, but not written yet
		t.Fatal(err)
	}
	w := openWindowOn(t, svc)
	u := setupVault(w.env, w.win, svc.Secrets)
	assertDialogShows(t, w, "still empty", "Choose its passphrase")
	test.Type(u.pass, guiVaultPass)
	test.Type(u.repeat, guiVaultPass+"x")
	tapDialogButton(t, w, "Unlock")
	assertDialogShows(t, w, "The two passphrases differ")
	if store.Unlocked() {
		t.Fatal("unlocked with two different passphrases")
	}
	u.repeat.SetText(guiVaultPass)
	tapDialogButton(t, w, "Unlock")
	if !store.Unlocked() {
		t.Fatal("not unlocked")
	}
	if err := svc.Secrets.Set("k", "v"); err != nil {
		t.Fatal(err)
	}
	again := secret.OpenVault(svc.Registry.Dir())
	if err := again.Unlock(guiVaultPass); err != nil {
		t.Errorf("the new vault does not open with the chosen passphrase: %v", err)
	}
}

func TestNoVaultDialogForTheKeyringOrAGivenPassphrase(t *testing.T) {
	w := openWindowOn(t, newTestService(t))
	if setupVault(w.env, w.win, secret.NewMemoryStore()) != nil || w.env.vault != nil {
		t.Error("a dialog for a store that is not a vault")
	}
	v := secret.OpenVault(t.TempDir())
	v.Passphrase = func() (string, error) { return "from the environment", nil }
	if setupVault(w.env, w.win, v) != nil {
		t.Error("a dialog although CONNECTEDAPPS_PASSPHRASE gave the passphrase")
	}
}
