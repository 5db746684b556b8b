package gui

import (
	"context"
	"fmt"
	"fyne.io/fyne/v2/lang"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"connectedapps/core"
	"connectedapps/core/secret"
)

// vaultUnlock is the passphrase dialog of the encrypted vault (Settings' "Use encrypted
// vault…", or the command line's keyring use-vault). It is shown as the window opens, before anything reads a secret. The vault asks
// it for the passphrase from whichever goroutine first needs a secret (never the UI one: every
// secret store call runs off it), and that goroutine waits until the person has answered: the
// answer unlocks the store, and every waiting call then goes on with it.
type vaultUnlock struct {
	store    *secret.VaultStore
	parent   fyne.Window
	runAsync func(func()) // off the UI goroutine: env.runAsync
	// onUnlocked, when set, runs on the UI goroutine after the store was unlocked.
	onUnlocked func()

	pass    *dialogEntry
	repeat  *dialogEntry // only for a vault not yet written: a typo must not lock it for good
	message *widget.Label
	unlock  *dialogButton
	later   *dialogButton
	// dialog is the open dialog, kept so tests can see it.
	dialog dialog.Dialog

	mu       sync.Mutex
	answered chan struct{} // closed once the dialog shown last has been answered
}

// setupVault installs the dialog when the secrets are in a locked vault with no passphrase
// given (CONNECTEDAPPS_PASSPHRASE), and shows it over win. Call it before anything reads a
// secret.
func setupVault(e *env, win fyne.Window, store secret.Store) *vaultUnlock {
	if sw, isSwitch := store.(*core.StoreSwitch); isSwitch {
		store = sw.InUse()
	}
	v, ok := store.(*secret.VaultStore)
	if !ok || v.Passphrase != nil || v.Unlocked() {
		return nil
	}
	u := &vaultUnlock{store: v, parent: win, runAsync: e.runAsync}
	v.Passphrase = u.wait
	e.vault = u
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

	u.pass = passphraseEntry(lang.L("Passphrase"), u.onUnlock, u.onLater)
	u.repeat = passphraseEntry(lang.L("The same passphrase again"), u.onUnlock, u.onLater)
	u.message = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance}
	u.message.Hide()
	u.unlock = newDialogButton(lang.L("Unlock"), nil, widget.HighImportance, u.onUnlock)
	u.later = newDialogButton(lang.L("Not now"), nil, widget.MediumImportance, u.onLater)
	u.unlock.onEscape, u.later.onEscape = u.onLater, u.onLater
	intro := fmt.Sprintf(lang.L("Your client secrets and tokens are in an encrypted vault, %s. Type its passphrase to use them."), u.store.Path())
	if !u.store.Exists() {
		intro = fmt.Sprintf(lang.L("Your client secrets and tokens are to be kept in an encrypted vault, %s, which is still empty. Choose its passphrase; it is needed every time Connected Apps starts."), u.store.Path())
	} else {
		u.repeat.Hide()
	}
	content := container.NewVBox(
		&widget.Label{Text: intro, Wrapping: fyne.TextWrapWord},
		u.pass, u.repeat, u.message,
	)
	d := dialog.NewCustomWithoutButtons(lang.L("Unlock the vault"), content, u.parent)
	d.SetButtons([]fyne.CanvasObject{u.later, u.unlock}) // the style of every dialog: dialogs.go
	u.dialog = d
	u.dialog.Resize(fyne.NewSize(520, content.MinSize().Height+60))
	showModal(u.parent, u.dialog, u.onUnlock, u.onLater) // Enter unlocks, Escape is "Not now": dialogs.go
	u.parent.Canvas().Focus(u.pass)
}

// onUnlock checks the passphrase off the UI goroutine (the key derivation takes a moment); a
// wrong one is said in the dialog, which stays open.
func (u *vaultUnlock) onUnlock() {
	pass := u.pass.Text
	if u.repeat.Visible() && u.repeat.Text != pass {
		u.say(lang.L("The two passphrases differ: type the same one twice."))
		return
	}
	u.unlock.Disable()
	u.later.Disable()
	store := u.store
	u.runAsync(func() {
		err := store.Unlock(pass)
		if err == nil {
			u.answer() // at once: calls waiting off the UI goroutine go on
		}
		fyne.Do(func() {
			u.unlock.Enable()
			u.later.Enable()
			if err != nil {
				u.say(errorWords(err))
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

// storeSwitch is the service and its switchable store when the secret store can be changed
// from the window (main puts the chosen store behind a core.StoreSwitch); otherwise nil.
func (s *settingsScreen) storeSwitch() (*core.Service, *core.StoreSwitch) {
	svc, ok := s.env.svc.(*core.Service)
	if !ok {
		return nil, nil
	}
	sw, ok := svc.Secrets.(*core.StoreSwitch)
	if !ok {
		return nil, nil
	}
	return svc, sw
}

// showSwitchButtons offers the way to the store not in use.
func (s *settingsScreen) showSwitchButtons() {
	_, sw := s.storeSwitch()
	if sw == nil {
		s.useVault.Hide()
		s.useSystem.Hide()
		return
	}
	if _, inVault := sw.InUse().(*secret.VaultStore); inVault {
		s.useVault.Hide()
		s.useSystem.Show()
	} else {
		s.useSystem.Hide()
		s.useVault.Show()
	}
}

// vaultChoice is the dialog of "Use encrypted vault…": the passphrase (twice for a vault not
// yet written), each error beside its field.
type vaultChoice struct {
	vault       *secret.VaultStore
	pass        *dialogEntry
	passError   *widget.Label
	repeat      *dialogEntry
	repeatError *widget.Label
	move        *dialogButton
	cancel      *dialogButton
	dialog      dialog.Dialog
}

// onUseVault asks for the vault's passphrase; the move itself is onMoveToVault.
func (s *settingsScreen) onUseVault() {
	svc, sw := s.storeSwitch()
	if sw == nil {
		return
	}
	c := &vaultChoice{vault: secret.OpenVault(svc.Registry.Dir())}
	errorLine := func() *widget.Label {
		l := &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance}
		l.Hide()
		return l
	}
	submit := func() { s.onMoveToVault(c) }
	leave := func() { c.dialog.Hide() }
	c.pass = passphraseEntry(lang.L("Passphrase"), submit, leave)
	c.passError = errorLine()
	c.repeat = passphraseEntry(lang.L("The same passphrase again"), submit, leave)
	c.repeatError = errorLine()
	c.move = newDialogButton(lang.L("Use the vault"), nil, widget.HighImportance, submit)
	c.cancel = newDialogButton(lang.L("Cancel"), nil, widget.MediumImportance, leave)
	c.move.onEscape, c.cancel.onEscape = leave, leave
	intro := fmt.Sprintf(lang.L("Your client secrets and tokens move from the system keyring into an encrypted file, %s. Choose its passphrase, at least %d characters: Connected Apps asks for it every time it starts, and nobody can recover it."),
		c.vault.Path(), secret.MinVaultPassphrase)
	if c.vault.Exists() {
		intro = fmt.Sprintf(lang.L("Your client secrets and tokens move from the system keyring into the encrypted file %s, which is there already. Type its passphrase."), c.vault.Path())
		c.repeat.Hide()
	}
	content := container.NewVBox(
		&widget.Label{Text: intro, Wrapping: fyne.TextWrapWord},
		c.pass, c.passError, c.repeat, c.repeatError,
	)
	d := dialog.NewCustomWithoutButtons(lang.L("Use an encrypted vault"), content, s.parent)
	d.SetButtons([]fyne.CanvasObject{c.cancel, c.move}) // the style of every dialog: dialogs.go
	c.dialog = d
	s.switchDialog, s.choice = c.dialog, c
	c.dialog.Resize(fyne.NewSize(520, content.MinSize().Height+60))
	showModal(s.parent, c.dialog, submit, leave)
	s.parent.Canvas().Focus(c.pass)
}

// onMoveToVault checks the passphrase (its rule beside the field at once; whether it opens an
// existing vault off the UI goroutine, since the key derivation takes a moment), then moves
// the secrets and says how many moved.
func (s *settingsScreen) onMoveToVault(c *vaultChoice) {
	svc, sw := s.storeSwitch()
	pass := c.pass.Text
	c.passError.Hide()
	c.repeatError.Hide()
	newVault := c.repeat.Visible()
	if newVault {
		if err := secret.CheckNewVaultPassphrase(pass, lang.L("This passphrase"), lang.L("choose a longer one")); err != nil {
			c.say(c.passError, errorWords(err))
			return
		}
		if c.repeat.Text != pass {
			c.say(c.repeatError, lang.L("The two passphrases differ: type the same one twice."))
			return
		}
	} else if pass == "" {
		c.say(c.passError, fmt.Sprintf(lang.L("Type the passphrase of %s."), c.vault.Path()))
		return
	}
	c.move.Disable()
	c.cancel.Disable()
	s.useVault.Disable()
	s.env.runAsync(func() {
		err := c.vault.Unlock(pass)
		var res core.SwitchResult
		unlocked := err == nil
		if unlocked {
			res, err = svc.UseVault(context.Background(), sw.System(), c.vault)
		}
		fyne.Do(func() {
			c.move.Enable()
			c.cancel.Enable()
			s.useVault.Enable()
			if !unlocked { // a wrong passphrase: the dialog stays open
				c.say(c.passError, errorWords(err))
				c.pass.SetText("")
				return
			}
			c.dialog.Hide()
			if err != nil {
				s.sayResult(widget.DangerImportance, errorWords(err))
			} else {
				s.sayResult(widget.MediumImportance, vaultMoveWords(res, c.vault))
			}
			s.onProbe()
		})
	})
}

func (c *vaultChoice) say(l *widget.Label, text string) {
	l.SetText(text)
	l.Show()
}

// vaultMoveWords is the result line of a move into the vault.
func vaultMoveWords(res core.SwitchResult, vault *secret.VaultStore) string {
	if res.Already {
		return fmt.Sprintf(lang.L("The encrypted vault %s is already in use."), vault.Path())
	}
	var b strings.Builder
	if res.SystemUnreachable != nil {
		b.WriteString(fmt.Sprintf(lang.L("Nothing was moved, so the vault starts empty: the system keyring could not be read (%s). Give each app its client secret again on its Registration tab, and connect each app again."),
			strings.TrimSuffix(errorWords(res.SystemUnreachable), ".")))
	} else {
		b.WriteString(fmt.Sprintf(lang.L("Moved %s from the system keyring into the encrypted vault %s."), secretsCount(res.Moved), vault.Path()))
	}
	if res.LeftBehind > 0 {
		fmt.Fprintf(&b, lang.L(" %s could not be deleted from the system keyring: remove them there with your keyring app (service %q)."), secretsCount(res.LeftBehind), secret.KeyringService)
	}
	return b.String()
}

// onUseSystem moves the secrets back into the system keyring after a confirmation; a locked
// vault is unlocked first, since its secrets must be read to move them.
func (s *settingsScreen) onUseSystem() {
	if u := s.env.vault; u != nil && !u.store.Unlocked() {
		u.onUnlocked = func() {
			s.onProbe()
			s.confirmUseSystem()
		}
		u.show()
		return
	}
	s.confirmUseSystem()
}

func (s *settingsScreen) confirmUseSystem() {
	svc, sw := s.storeSwitch()
	if sw == nil {
		return
	}
	vault, ok := sw.InUse().(*secret.VaultStore)
	if !ok {
		s.showSwitchButtons()
		return
	}
	moveBack := func() {
		s.useSystem.Disable()
		s.env.runAsync(func() {
			res, err := svc.UseSystem(context.Background(), sw.System(), vault)
			fyne.Do(func() {
				s.useSystem.Enable()
				if err != nil {
					s.sayResult(widget.DangerImportance, errorWords(err))
					s.onProbe()
					return
				}
				s.env.vault = nil // no passphrase is asked for any more
				switch {
				case res.Already:
					s.sayResult(widget.MediumImportance, lang.L("The system keyring is already in use."))
				case res.LeftBehind > 0:
					s.sayResult(widget.MediumImportance, fmt.Sprintf(lang.L("Moved %s from the encrypted vault into the system keyring. The vault %s could not be deleted: delete it yourself (its secrets are all in the keyring now)."), secretsCount(res.Moved), vault.Path()))
				default:
					s.sayResult(widget.MediumImportance, fmt.Sprintf(lang.L("Moved %s from the encrypted vault into the system keyring. The vault %s was deleted."), secretsCount(res.Moved), vault.Path()))
				}
				s.onProbe()
			})
		})
	}
	s.switchDialog = showChoice(s.parent, lang.L("Use the system keyring"),
		&widget.Label{Text: fmt.Sprintf(lang.L("Your client secrets and tokens move from the encrypted vault back into the system keyring, and the vault %s is deleted."), vault.Path()), Wrapping: fyne.TextWrapWord},
		lang.L("Cancel"), nil, dialogChoice{text: lang.L("Move them back"), importance: widget.HighImportance, run: moveBack})
}

func (s *settingsScreen) sayResult(importance widget.Importance, text string) {
	s.storeResult.Importance = importance
	s.storeResult.SetText(text)
	s.storeResult.Show()
}

// passphraseEntry is a hidden field of a vault dialog: Enter submits, Escape leaves.
func passphraseEntry(placeholder string, submit, leave func()) *dialogEntry {
	e := newDialogEntry()
	e.Password, e.PlaceHolder = true, placeholder
	e.OnSubmitted = func(string) { submit() }
	e.onEscape = leave
	return e
}
