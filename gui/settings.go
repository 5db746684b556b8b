package gui

import (
	"fmt"
	"fyne.io/fyne/v2/lang"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"connectedapps/core"
	"connectedapps/internal/desktop"
)

// The clipboard delay a person may choose, in seconds.
const (
	minClipboardSeconds = 5
	maxClipboardSeconds = 3600
)

// secretsProber is the part of *core.Service the Settings screen needs beyond appService.
type secretsProber interface {
	ProbeSecrets() core.SecretsStatus
}

// settingsScreen is the Settings dialog: clipboard clearing, start at login, the secret
// store and the registry folder. Every change takes effect at once; there is nothing to save.
type settingsScreen struct {
	env    *env
	parent fyne.Window
	scroll *container.Scroll
	// exe is the program the autostart entry runs (os.Executable; tests replace it).
	exe       func() (string, error)
	autostart desktop.Autostart
	syncing   bool // a check box is being set by the program, not the person

	clearCheck   *dialogCheck
	seconds      *dialogEntry
	secondsError *widget.Label
	startCheck   *dialogCheck
	startNote    *widget.Label
	storeName    *widget.Label
	storeState   *widget.Label
	recheck      *dialogButton
	unlock       *dialogButton // shown while the vault is locked (vault.go)
	useVault     *dialogButton // "Use encrypted vault…" while the system keyring is in use (vault.go)
	useSystem    *dialogButton // "Use the system keyring" while the vault is in use
	storeResult  *widget.Label // what the last switch of store did
	folder       *widget.Label
	copyFolder   *widget.Button
	folderNote   *widget.Label
	language     *widget.RadioGroup // System / English / 简体中文 (language.go)
	languageNote *widget.Label      // "… when Connected Apps starts again", once changed

	// dialog is the open Settings dialog, kept so tests can close it.
	dialog dialog.Dialog
	// switchDialog is the passphrase or confirmation dialog of a store switch, kept for tests.
	switchDialog dialog.Dialog
	choice       *vaultChoice // the last "Use encrypted vault…" dialog
}

func newSettingsScreen(e *env, parent fyne.Window) *settingsScreen {
	return &settingsScreen{env: e, parent: parent, exe: os.Executable}
}

// show builds the screen, opens it over the parent window and starts the keyring probe.
func (s *settingsScreen) show() {
	content := s.buildUI()
	s.scroll = wheelScroll(content) // the wheel turns it over its entries too: wheel.go
	d := dialog.NewCustom(lang.L("Settings"), lang.L("Close"), s.scroll, s.parent)
	s.dialog = d
	showModal(s.parent, d, d.Hide, d.Hide) // Enter and Escape close it: dialogs.go
	d.Resize(fyne.NewSize(600, min(content.MinSize().Height+130, s.parent.Canvas().Size().Height-40)))
	s.onProbe()
}

func (s *settingsScreen) buildUI() fyne.CanvasObject {
	prefs := s.env.app.Preferences()
	caption := func(text string) *widget.Label {
		return &widget.Label{Text: text, Wrapping: fyne.TextWrapWord, SizeName: theme.SizeNameCaptionText}
	}
	heading := func(text string) *widget.Label {
		return &widget.Label{Text: text, TextStyle: fyne.TextStyle{Bold: true}}
	}

	// Clipboard.
	// Every control leaves Settings on Escape and closes it on Enter, as the dialog itself
	// does when nothing has the focus (dialogs.go).
	s.clearCheck = newDialogCheck(lang.L("Clear a copied token from the clipboard after"), nil)
	s.clearCheck.Checked = prefs.BoolWithFallback(clipboardClearKey, true)
	s.clearCheck.OnChanged = s.onClearToggled
	s.seconds = newDialogEntry()
	s.seconds.Text, s.seconds.OnChanged = strconv.Itoa(s.clipboardSeconds()), s.onSecondsChanged
	s.seconds.onEscape, s.seconds.OnSubmitted = s.close, func(string) { s.close() }
	s.secondsError = &widget.Label{Importance: widget.DangerImportance, Wrapping: fyne.TextWrapWord}
	s.secondsError.Hide()
	if !s.clearCheck.Checked {
		s.seconds.Disable()
	}
	clearRow := container.NewHBox(s.clearCheck,
		container.NewGridWrap(fyne.NewSize(80, s.seconds.MinSize().Height), s.seconds),
		widget.NewLabel(lang.L("seconds")))

	// Language: read once at start (language.go), so a change shows from the next start on.
	s.language = widget.NewRadioGroup(languageOptions(), nil)
	s.language.Horizontal, s.language.Required = true, true
	s.language.Selected = languageOptionOf(chosenLanguage(s.env.app))
	s.language.OnChanged = s.onLanguageChanged
	s.languageNote = caption(lang.L("The window shows the new language when Connected Apps starts again."))
	s.languageNote.Hide()

	// Start at login.
	s.startCheck = newDialogCheck(lang.L("Open Connected Apps when I log in"), s.onStartAtLoginToggled)
	for _, c := range []*dialogCheck{s.clearCheck, s.startCheck} {
		c.onEscape, c.onEnter = s.close, s.close
	}
	s.startNote = caption("")
	s.loadAutostart()

	// Secret store.
	s.storeName = &widget.Label{Text: lang.L("Checking…"), Wrapping: fyne.TextWrapWord}
	s.storeState = &widget.Label{Wrapping: fyne.TextWrapWord, Selectable: true}
	s.recheck = newDialogButton(lang.L("Check again"), theme.ViewRefreshIcon(), widget.MediumImportance, s.onProbe)
	s.unlock = newDialogButton(lang.L("Unlock…"), theme.LoginIcon(), widget.MediumImportance, s.onUnlockVault)
	s.unlock.Hide()
	s.useVault = newDialogButton(lang.L("Use encrypted vault…"), theme.StorageIcon(), widget.MediumImportance, s.onUseVault)
	s.useSystem = newDialogButton(lang.L("Use the system keyring"), theme.StorageIcon(), widget.MediumImportance, s.onUseSystem)
	for _, b := range []*dialogButton{s.recheck, s.unlock, s.useVault, s.useSystem} {
		b.onEscape = s.close
	}
	s.useVault.Hide()
	s.useSystem.Hide()
	s.storeResult = &widget.Label{Wrapping: fyne.TextWrapWord}
	s.storeResult.Hide()

	// Registry folder.
	s.folder = &widget.Label{Text: filepath.Dir(s.env.svc.RegistryPath()), Wrapping: fyne.TextWrapBreak, Selectable: true}
	s.copyFolder = &widget.Button{Text: lang.L("Copy"), Icon: theme.ContentCopyIcon(), OnTapped: s.onCopyFolder}
	s.folderNote = caption(lang.L("apps.json there holds your registrations. Client secrets and tokens are never in this folder: they are in the secret store."))

	return container.NewVBox(
		heading(lang.L("Clipboard")),
		clearRow,
		s.secondsError,
		caption(lang.L("Only if the clipboard still holds the token. Clipboard-history tools (KDE’s Klipper, CopyQ, GNOME extensions…) may keep their own copy: clear it there too, or exclude Connected Apps.")),
		widget.NewSeparator(),
		heading(lang.L("Start at login")),
		s.startCheck,
		s.startNote,
		widget.NewSeparator(),
		heading(lang.L("Secret store")),
		container.NewBorder(nil, nil, nil, container.NewVBox(s.recheck, s.unlock), container.NewVBox(s.storeName, s.storeState)),
		container.NewHBox(s.useVault, s.useSystem),
		s.storeResult,
		caption(lang.L("Without a keyring (SSH sessions, containers) an encrypted vault file keeps your client secrets and tokens instead; its passphrase is asked each time Connected Apps starts.")),
		widget.NewSeparator(),
		heading(lang.L("Language")),
		s.language,
		s.languageNote,
		widget.NewSeparator(),
		heading(lang.L("Your apps are kept in")),
		container.NewBorder(nil, nil, nil, container.NewVBox(s.copyFolder), s.folder),
		s.folderNote,
	)
}

// onLanguageChanged keeps the choice for the next start: Fyne's widgets take their words
// when they are built, and this window is built already.
func (s *settingsScreen) onLanguageChanged(option string) {
	s.env.app.Preferences().SetString(prefLanguage, languageOfOption(option))
	s.languageNote.Show()
}

// clipboardSeconds is the stored delay, or the default when none (or nonsense) is stored.
func (s *settingsScreen) clipboardSeconds() int {
	n := s.env.app.Preferences().IntWithFallback(clipboardSecondsKey, defaultClipboardSeconds)
	if n < minClipboardSeconds || n > maxClipboardSeconds {
		return defaultClipboardSeconds
	}
	return n
}

func (s *settingsScreen) onClearToggled(on bool) {
	s.env.app.Preferences().SetBool(clipboardClearKey, on)
	if on {
		s.seconds.Enable()
	} else {
		s.seconds.Disable()
	}
}

// onSecondsChanged stores the delay as soon as it is a sensible number; until then it says
// what is wrong and keeps the last good one.
func (s *settingsScreen) onSecondsChanged(text string) {
	n, err := strconv.Atoi(strings.TrimSpace(text))
	if err != nil || n < minClipboardSeconds || n > maxClipboardSeconds {
		s.secondsError.SetText(fmt.Sprintf(lang.L("Enter a whole number of seconds from %d to %d; %d s is kept until then."),
			minClipboardSeconds, maxClipboardSeconds, s.clipboardSeconds()))
		s.secondsError.Show()
		return
	}
	s.secondsError.Hide()
	s.env.app.Preferences().SetInt(clipboardSecondsKey, n)
}

// loadAutostart reads whether the entry exists (a small local file, read on the spot).
func (s *settingsScreen) loadAutostart() {
	a, err := desktop.DefaultAutostart()
	if err != nil {
		s.startCheck.Disable()
		s.startNote.SetText(errorWords(err))
		return
	}
	s.autostart = a
	on, err := a.Enabled()
	s.setStartCheck(on)
	s.describeAutostart(on, err)
}

func (s *settingsScreen) describeAutostart(on bool, err error) {
	switch {
	case err != nil:
		s.startNote.Importance = widget.DangerImportance
		s.startNote.Text = errorWords(err)
	case on:
		s.startNote.Importance = widget.MediumImportance
		s.startNote.Text = fmt.Sprintf(lang.L("Your desktop starts it from %s."), s.autostart.Path)
	default:
		s.startNote.Importance = widget.MediumImportance
		s.startNote.Text = lang.L("Connected Apps refreshes tokens only while it runs; scripts still refresh their own on demand.")
	}
	s.startNote.Refresh()
}

func (s *settingsScreen) setStartCheck(on bool) {
	s.syncing = true
	s.startCheck.SetChecked(on)
	s.syncing = false
}

// onStartAtLoginToggled writes or removes the autostart entry off the UI goroutine; a failure
// puts the box back and says why.
func (s *settingsScreen) onStartAtLoginToggled(on bool) {
	if s.syncing || s.autostart.Path == "" {
		return
	}
	a, exe := s.autostart, s.exe
	s.startCheck.Disable()
	s.env.runAsync(func() {
		var err error
		if on {
			var path string
			if path, err = exe(); err == nil {
				err = a.Enable(path)
			} else {
				err = fmt.Errorf(lang.L("cannot tell where this program is (%v), so it cannot be started at login"), err)
			}
		} else {
			err = a.Disable()
		}
		fyne.Do(func() {
			s.startCheck.Enable()
			if err != nil {
				s.setStartCheck(!on)
				s.describeAutostart(!on, err)
				return
			}
			s.describeAutostart(on, nil)
		})
	})
}

// onProbe asks the secret store whether it works, off the UI goroutine: a locked keyring may
// ask for its password and take a while.
func (s *settingsScreen) onProbe() {
	prober, ok := s.env.svc.(secretsProber)
	if !ok {
		s.storeName.SetText(lang.L("Unknown"))
		s.storeState.SetText("")
		return
	}
	s.recheck.Disable()
	s.storeState.Importance = widget.MediumImportance
	s.storeState.SetText(lang.L("Checking that it answers…"))
	s.env.runAsync(func() {
		st := prober.ProbeSecrets()
		fyne.Do(func() {
			s.recheck.Enable()
			s.showSwitchButtons()
			s.storeName.SetText(st.Store)
			if st.State == core.SecretsLocked && s.env.vault != nil {
				s.unlock.Show()
			} else {
				s.unlock.Hide()
			}
			switch st.State {
			case core.SecretsOK:
				s.storeState.Importance = widget.SuccessImportance
				s.storeState.Text = lang.L("Works: it is unlocked and answering.")
			case core.SecretsLocked:
				s.storeState.Importance = widget.WarningImportance
				s.storeState.Text = fmt.Sprintf(lang.L("Locked: %s"), st.Message)
			default:
				s.storeState.Importance = widget.DangerImportance
				s.storeState.Text = fmt.Sprintf(lang.L("Not reachable: %s"), st.Message)
			}
			s.storeState.Refresh()
		})
	})
}

func (s *settingsScreen) onCopyFolder() {
	s.env.app.Clipboard().SetContent(s.folder.Text)
	s.copyFolder.SetText(lang.L("Copied"))
}

// close closes Settings (Escape or Enter from any of its controls).
func (s *settingsScreen) close() {
	if s.dialog != nil {
		s.dialog.Hide()
	}
}
