package gui

import (
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"connectedapps/core/secret"
)

// vaultUnlock is the passphrase dialog of the encrypted vault (`connectedapps keyring
// use-vault`). It is shown as the window opens, before anything reads a secret. The vault asks
// it for the passphrase from whichever goroutine first needs a secret (never the UI one: every
// secret store call runs off it), and that goroutine waits until the person has answered: the
// answer unlocks the store, and every waiting call then goes on with it.
type vaultUnlock struct {
	store  *secret.VaultStore
	parent fyne.Window
	// onUnlocked, when set, runs on the UI goroutine after the store was unlocked.
	onUnlocked func()

	pass    *widget.Entry
	repeat  *widget.Entry // only for a vault not yet written: a typo must not lock it for good
	message *widget.Label
	unlock  *widget.Button
	later   *widget.Button
	// dialog is the open dialog, kept so tests can see it.
	dialog dialog.Dialog

	mu       sync.Mutex
	answered chan struct{} // closed once the dialog shown last has been answered
}

// setupVault installs the dialog when the secrets are in a locked vault with no passphrase
// given (CONNECTEDAPPS_PASSPHRASE), and shows it. Call it before anything reads a secret.
func (w *mainWindow) setupVault(store secret.Store) *vaultUnlock {
	v, ok := store.(*secret.VaultStore)
	if !ok || v.Passphrase != nil || v.Unlocked() {
		return nil
	}
	u := &vaultUnlock{store: v, parent: w.win}
	v.Passphrase = u.wait
	w.env.vault = u
	u.show()
	return u
}

// wait blocks a secret store call until the dialog is answered. The passphrase itself reaches
// the store through Unlock; after "Not now" the store stays locked and says so.
func (u *vaultUnlock) wait() (string, error) {
	u.mu.Lock()
	ch := u.answered
	u.mu.Unlock()
	<-ch
	return "", nil
}

// show opens the dialog (again, from Settings' Unlock button after "Not now").
func (u *vaultUnlock) show() {
	u.mu.Lock()
	select {
	case <-u.answered: // answered before: calls from now on wait for this one
		u.answered = make(chan struct{})
	default:
		if u.answered == nil {
			u.answered = make(chan struct{})
		}
	}
	u.mu.Unlock()

	u.pass = &widget.Entry{Password: true, PlaceHolder: "Passphrase", OnSubmitted: func(string) { u.onUnlock() }}
	u.repeat = &widget.Entry{Password: true, PlaceHolder: "The same passphrase again", OnSubmitted: func(string) { u.onUnlock() }}
	u.message = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance}
	u.message.Hide()
	u.unlock = &widget.Button{Text: "Unlock", Icon: theme.ConfirmIcon(), Importance: widget.HighImportance, OnTapped: u.onUnlock}
	u.later = &widget.Button{Text: "Not now", Icon: theme.CancelIcon(), OnTapped: u.onLater}
	intro := "Your client secrets and tokens are in an encrypted vault, " + u.store.Path() + ". Type its passphrase to use them."
	if !u.store.Exists() {
		intro = "Your client secrets and tokens are to be kept in an encrypted vault, " + u.store.Path() + ", which is still empty. Choose its passphrase; it is needed every time Connected Apps starts."
	} else {
		u.repeat.Hide()
	}
	content := container.NewVBox(
		&widget.Label{Text: intro, Wrapping: fyne.TextWrapWord},
		u.pass, u.repeat, u.message,
		container.NewHBox(layout.NewSpacer(), u.later, u.unlock),
	)
	u.dialog = dialog.NewCustomWithoutButtons("Unlock the vault", content, u.parent)
	u.dialog.Resize(fyne.NewSize(520, content.MinSize().Height+60))
	showModal(u.parent, u.dialog, u.onUnlock, u.onLater) // Enter unlocks, Escape is "Not now": dialogs.go
	u.parent.Canvas().Focus(u.pass)
}

// onUnlock checks the passphrase off the UI goroutine (the key derivation takes a moment); a
// wrong one is said in the dialog, which stays open.
func (u *vaultUnlock) onUnlock() {
	pass := u.pass.Text
	if u.repeat.Visible() && u.repeat.Text != pass {
		u.say("The two passphrases differ: type the same one twice.")
		return
	}
	u.unlock.Disable()
	u.later.Disable()
	store := u.store
	runAsync(func() {
		err := store.Unlock(pass)
		if err == nil {
			u.answer() // at once: calls waiting off the UI goroutine go on
		}
		fyne.Do(func() {
			u.unlock.Enable()
			u.later.Enable()
			if err != nil {
				u.say(windowWords(err.Error()))
				u.pass.SetText("")
				return
			}
			u.dialog.Hide()
			if u.onUnlocked != nil {
				u.onUnlocked()
			}
		})
	})
}

// onLater leaves the vault locked: what needs a secret says so, and Settings offers Unlock.
func (u *vaultUnlock) onLater() {
	u.dialog.Hide()
	u.answer()
}

func (u *vaultUnlock) answer() {
	u.mu.Lock()
	defer u.mu.Unlock()
	select {
	case <-u.answered:
	default:
		close(u.answered)
	}
}

func (u *vaultUnlock) say(text string) {
	u.message.SetText(text)
	u.message.Show()
}

// onUnlockVault is Settings' Unlock button: the dialog again, and a new check once unlocked.
func (s *settingsScreen) onUnlockVault() {
	u := s.env.vault
	if u == nil {
		return
	}
	u.onUnlocked = s.onProbe
	u.show()
}
