package gui

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"connectedapps/core"
	"connectedapps/core/secret"
	"connectedapps/core/secret/secrettest"
)

// switchableService is a service as main builds it for the window: the chosen store (the
// memory keyring here) behind a core.StoreSwitch, with two apps holding client secrets.
func switchableService(t *testing.T) (*core.Service, *secret.MemoryStore, []core.App) {
	t.Helper()
	secrettest.CheapKDF(t)
	mem := secret.NewMemoryStore()
	svc := serviceOn(t, filepath.Join(t.TempDir(), "connectedapps"), core.NewStoreSwitch(mem, mem), func() time.Time { return testNow })
	var apps []core.App
	for _, name := range []string{"Alpha", "Beta"} {
		a := core.NewApp(name)
		a.ClientID, a.AuthorizationURI, a.TokenURI = "c", "https://example.com/auth", "https://example.com/token"
		sec := name + "-secret"
		added, err := svc.Add(a, &sec)
		if err != nil {
			t.Fatal(err)
		}
		apps = append(apps, added)
	}
	return svc, mem, apps
}

func clientSecretOf(a core.App) string { return "app/" + a.ID + "/client_secret" }

func storeChoice(t *testing.T, svc *core.Service) string {
	t.Helper()
	c, err := core.ReadStoreChoice(svc.Registry.Dir())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSettingsSwitchesToTheVaultAndBack(t *testing.T) {
	svc, mem, apps := switchableService(t)
	w, s := openSettingsOn(t, svc)
	sw := svc.Secrets.(*core.StoreSwitch)
	if !s.useVault.Visible() || s.useSystem.Visible() {
		t.Fatalf("with the keyring in use: Use encrypted vault shown %v, Use the system keyring shown %v", s.useVault.Visible(), s.useSystem.Visible())
	}
	assertNoCommandLine(t, overlayTexts(w))

	test.Tap(s.useVault)
	assertDialogShows(t, w, "Choose its passphrase, at least 8 characters")
	choice := s.choice
	if w.win.Canvas().Focused() != choice.pass {
		t.Error("the passphrase field has no focus")
	}

	// Too short: said beside the field, nothing moved.
	test.Type(choice.pass, "short")
	tapDialogButton(t, w, "Use the vault")
	assertDialogShows(t, w, "too short", "at least 8 characters")
	if !choice.passError.Visible() || choice.repeatError.Visible() {
		t.Error("the short passphrase is not said beside its field")
	}
	if storeChoice(t, svc) != core.StoreSystem {
		t.Fatal("a short passphrase switched the store")
	}

	// Two different passphrases: said beside the second.
	choice.pass.SetText(guiVaultPass)
	test.Type(choice.repeat, guiVaultPass+"x")
	tapDialogButton(t, w, "Use the vault")
	assertDialogShows(t, w, "The two passphrases differ")
	if !choice.repeatError.Visible() || choice.passError.Visible() {
		t.Error("the differing passphrase is not said beside the second field")
	}
	if storeChoice(t, svc) != core.StoreSystem {
		t.Fatal("two different passphrases switched the store")
	}

	choice.repeat.SetText(guiVaultPass)
	choice.repeat.OnSubmitted(guiVaultPass) // Enter
	assertDialogShows(t, w, "Moved 2 secrets from the system keyring into the encrypted vault", "Encrypted vault file", "Works: it is unlocked and answering.")
	if storeChoice(t, svc) != core.StoreVault {
		t.Fatal("settings.json does not choose the vault")
	}
	if _, inVault := sw.InUse().(*secret.VaultStore); !inVault {
		t.Fatalf("the window still uses %T", sw.InUse())
	}
	if _, err := mem.Get(clientSecretOf(apps[0])); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("the keyring still holds Alpha's secret: %v", err)
	}
	// The window's own calls now reach the vault: a new secret lands there, not in the keyring.
	newSecret := "Alpha-new-secret"
	if _, err := svc.Edit(t.Context(), "Alpha", func(*core.App) error { return nil }, core.SetSecret(newSecret)); err != nil {
		t.Fatal(err)
	}
	if _, err := mem.Get(clientSecretOf(apps[0])); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("a secret saved after the switch went to the keyring: %v", err)
	}
	fresh := secret.OpenVault(svc.Registry.Dir())
	if err := fresh.Unlock(guiVaultPass); err != nil {
		t.Fatalf("the vault does not open with the chosen passphrase: %v", err)
	}
	if v, err := fresh.Get(clientSecretOf(apps[0])); err != nil || v != newSecret {
		t.Errorf("the vault holds Alpha's secret %q (%v); want %q", v, err, newSecret)
	}
	if !s.useSystem.Visible() || s.useVault.Visible() {
		t.Fatal("with the vault in use, the way back is not offered")
	}

	// And back.
	test.Tap(s.useSystem)
	assertDialogShows(t, w, "back into the system keyring", fresh.Path())
	tapDialogButton(t, w, "Move them back")
	assertDialogShows(t, w, "Moved 2 secrets from the encrypted vault into the system keyring", "was deleted", "Memory only")
	if storeChoice(t, svc) != core.StoreSystem || sw.InUse() != secret.Store(mem) {
		t.Fatalf("after the way back: choice %q, in use %T", storeChoice(t, svc), sw.InUse())
	}
	if _, err := os.Stat(fresh.Path()); !os.IsNotExist(err) {
		t.Errorf("the vault file is still there: %v", err)
	}
	for i, want := range []string{newSecret, "Beta-secret"} {
		if v, err := mem.Get(clientSecretOf(apps[i])); err != nil || v != want {
			t.Errorf("%s's secret back in the keyring: %q (%v); want %q", apps[i].ProviderName, v, err, want)
		}
	}
	if !s.useVault.Visible() || s.useSystem.Visible() {
		t.Error("after the way back, Use encrypted vault is not offered again")
	}
	assertNoCommandLine(t, overlayTexts(w))
}

func TestSettingsVaultThatExistsWantsItsOwnPassphrase(t *testing.T) {
	svc, mem, apps := switchableService(t)
	seed := secret.OpenVault(svc.Registry.Dir())
	if err := seed.Unlock(guiVaultPass); err != nil {
		t.Fatal(err)
	}
	if err := seed.Set("left/over", "x"); err != nil {
		t.Fatal(err)
	}
	w, s := openSettingsOn(t, svc)
	test.Tap(s.useVault)
	assertDialogShows(t, w, "which is there already", "Type its passphrase")
	choice := s.choice
	if choice.repeat.Visible() {
		t.Error("an existing vault's passphrase is asked twice")
	}
	tapDialogButton(t, w, "Use the vault")
	assertDialogShows(t, w, "Type the passphrase of "+seed.Path())

	test.Type(choice.pass, "a wrong passphrase")
	tapDialogButton(t, w, "Use the vault")
	assertDialogShows(t, w, "the vault passphrase is wrong")
	if choice.pass.Text != "" || storeChoice(t, svc) != core.StoreSystem {
		t.Fatalf("after a wrong passphrase: entry %q, choice %q", choice.pass.Text, storeChoice(t, svc))
	}
	if v, err := mem.Get(clientSecretOf(apps[1])); err != nil || v != "Beta-secret" {
		t.Fatalf("a wrong passphrase moved the secrets: %q, %v", v, err)
	}

	test.Type(choice.pass, guiVaultPass)
	tapDialogButton(t, w, "Use the vault")
	assertDialogShows(t, w, "Moved 2 secrets")
	if storeChoice(t, svc) != core.StoreVault {
		t.Fatal("not switched with the right passphrase")
	}
}

func TestSettingsVaultWhenTheKeyringCannotBeRead(t *testing.T) {
	svc, mem, _ := switchableService(t)
	mem.Fail = core.Failf(core.ErrKeyringUnavailable, "the system keyring cannot be reached for a read (no bus)")
	w, s := openSettingsOn(t, svc)
	test.Tap(s.useVault)
	choice := s.choice
	choice.pass.SetText(guiVaultPass)
	choice.repeat.SetText(guiVaultPass)
	tapDialogButton(t, w, "Use the vault")
	assertDialogShows(t, w, "Nothing was moved, so the vault starts empty", "cannot be reached", "Give each app its client secret again")
	if storeChoice(t, svc) != core.StoreVault {
		t.Fatal("the vault was not chosen")
	}
	assertNoCommandLine(t, overlayTexts(w))
}
