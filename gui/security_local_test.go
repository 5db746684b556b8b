package gui

import (
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2/test"

	"connectedapps/core/secret"
)

// The window's dialog for a vault not yet written takes a new passphrase: a short one is
// refused there in one line naming the rule, the vault stays locked and unwritten, and a long
// enough one then unlocks it.
func TestVaultDialogRefusesAShortNewPassphrase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "connectedapps")
	svc := vaultChosenService(t, dir)
	w := openWindowOn(t, svc)
	u := setupVault(w.env, w.win, svc.Secrets)
	if u == nil || !u.repeat.Visible() {
		t.Fatal("no dialog asking a new passphrase twice")
	}
	test.Type(u.pass, "short")
	test.Type(u.repeat, "short")
	tapDialogButton(t, w, "Unlock")
	assertDialogShows(t, w, "too short for a new vault", "at least 8 characters")
	vault := svc.Secrets.(*secret.VaultStore)
	if vault.Unlocked() || vault.Exists() {
		t.Fatalf("after a short passphrase: unlocked %v, vault.json written %v", vault.Unlocked(), vault.Exists())
	}
	u.pass.SetText("")
	u.repeat.SetText("")
	test.Type(u.pass, guiVaultPass)
	test.Type(u.repeat, guiVaultPass)
	tapDialogButton(t, w, "Unlock")
	if !vault.Unlocked() {
		t.Fatal("a long enough passphrase did not unlock the new vault")
	}
}
