package gui

import (
	"fyne.io/fyne/v2/lang"
	"slices"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"connectedapps/core/fail"
)

// Every dialog of the window is made here, so that all of them look and answer the keyboard
// alike. Fyne's dialogs have no keys of their own: Enter did nothing and Escape did nothing,
// and each dialog placed its buttons its own way (some in Fyne's button row, some in a row of
// their own inside the content).
//
// The style: the buttons are in the dialog's button row; the one that leaves without acting
// comes first ("Cancel", or "Close" where the dialog only tells something), the confirming one
// last, on the right. The keys: Enter runs the confirming button, unless that button destroys
// something (Delete, Disconnect, Discard: DangerImportance), where Enter leaves, as GNOME's and
// Apple's guidelines ask, so a stray Enter never deletes; a focused dialog button runs itself,
// as Space does. Escape runs the one that leaves.

// dialogKeys is what one canvas's dialogs answer to keys that no focused widget took.
type dialogKeys struct {
	open   []*shownDialog // the topmost last: keys go to it
	before func(*fyne.KeyEvent)
}

type shownDialog struct{ enter, escape func() }

var (
	dialogKeysMu sync.Mutex // tests open windows of their own; the real window has one canvas
	dialogKeysOf = map[fyne.Canvas]*dialogKeys{}
)

// showModal shows d over win with the keyboard every dialog of the window has: Enter runs
// enter, Escape runs escape (either may be nil: the key then does nothing). The canvas's own
// key handler is put back once the last of its dialogs is closed.
func showModal(win fyne.Window, d dialog.Dialog, enter, escape func()) {
	answerKeys(win, d, enter, escape)
	d.Show()
	// The keys reach the canvas's handler only while nothing is focused; a field left focused
	// behind the dialog would take them instead.
	win.Canvas().Unfocus()
}

// showFileDialog shows Fyne's file chooser, which has no keys of its own, with Escape to
// cancel it. Where Fyne hands the choice to the system's own chooser (Windows, a flatpak),
// nothing is drawn on our canvas and that chooser answers its keys itself.
func showFileDialog(win fyne.Window, d *dialog.FileDialog) {
	c := win.Canvas()
	before, focused := c.Overlays().Top(), c.Focused()
	d.Show()
	if c.Overlays().Top() == before {
		return
	}
	answerKeys(win, d, nil, d.Dismiss)
	// The save chooser focuses its file name, which is what a person types first: keep it
	// (Escape then works once the focus leaves the name). Otherwise drop the focus left behind.
	if c.Focused() == focused {
		c.Unfocus()
	}
}

// answerKeys makes the canvas answer Enter and Escape for d until d closes.
func answerKeys(win fyne.Window, d dialog.Dialog, enter, escape func()) {
	c := win.Canvas()
	s := &shownDialog{enter: enter, escape: escape}
	dialogKeysMu.Lock()
	k := dialogKeysOf[c]
	if k == nil {
		k = &dialogKeys{before: c.OnTypedKey()}
		dialogKeysOf[c] = k
		c.SetOnTypedKey(k.typed)
	}
	k.open = append(k.open, s)
	dialogKeysMu.Unlock()
	d.SetOnClosed(func() {
		dialogKeysMu.Lock()
		defer dialogKeysMu.Unlock()
		k.open = slices.DeleteFunc(k.open, func(o *shownDialog) bool { return o == s })
		if len(k.open) == 0 && dialogKeysOf[c] == k {
			delete(dialogKeysOf, c)
			c.SetOnTypedKey(k.before)
		}
	})
}

func (k *dialogKeys) typed(ev *fyne.KeyEvent) {
	dialogKeysMu.Lock()
	var top *shownDialog
	if len(k.open) > 0 {
		top = k.open[len(k.open)-1]
	}
	dialogKeysMu.Unlock()
	if top == nil {
		return
	}
	switch ev.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		if top.enter != nil {
			top.enter()
		}
	case fyne.KeyEscape:
		if top.escape != nil {
			top.escape()
		}
	}
}

// dialogButton is a button of a dialog: focused, Enter presses it (as Space does) and Escape
// leaves the dialog, so the keys work the same after Tab has moved onto a button.
type dialogButton struct {
	widget.Button
	onEscape func()
}

func newDialogButton(text string, icon fyne.Resource, importance widget.Importance, tapped func()) *dialogButton {
	b := &dialogButton{}
	b.Text, b.Icon, b.Importance, b.OnTapped = text, icon, importance, tapped
	b.ExtendBaseWidget(b)
	return b
}

func (b *dialogButton) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		b.Tapped(nil) // does nothing while disabled
	case fyne.KeyEscape:
		if b.onEscape != nil {
			b.onEscape()
		}
	default:
		b.Button.TypedKey(ev)
	}
}

// dialogEntry is a text field in a dialog: Escape leaves the dialog (Fyne's entry ignores it).
// Enter is the entry's OnSubmitted, which the dialog sets to its confirming action.
type dialogEntry struct {
	widget.Entry
	onEscape func()
}

func newDialogEntry() *dialogEntry {
	e := &dialogEntry{}
	e.ExtendBaseWidget(e)
	return e
}

func (e *dialogEntry) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyEscape && e.onEscape != nil {
		e.onEscape()
		return
	}
	e.Entry.TypedKey(ev)
}

// dialogCheck is a check box in a dialog: Escape leaves the dialog and Enter does what the
// dialog's Enter does (Fyne's check ignores both, and a focused widget gets the keys before
// the dialog does).
type dialogCheck struct {
	widget.Check
	onEscape, onEnter func()
}

func newDialogCheck(text string, changed func(bool)) *dialogCheck {
	c := &dialogCheck{}
	c.Text, c.OnChanged = text, changed
	c.ExtendBaseWidget(c)
	return c
}

func (c *dialogCheck) TypedKey(ev *fyne.KeyEvent) {
	switch {
	case ev.Name == fyne.KeyEscape && c.onEscape != nil:
		c.onEscape()
	case (ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter) && c.onEnter != nil:
		c.onEnter()
	default:
		c.Check.TypedKey(ev)
	}
}

// dialogChoice is one confirming button of a dialog.
type dialogChoice struct {
	text       string
	importance widget.Importance
	run        func()
}

// showMessage tells something: one "Close" button; Enter and Escape close it too.
func showMessage(win fyne.Window, title string, content fyne.CanvasObject) *dialog.CustomDialog {
	return showChoice(win, title, content, lang.L("Close"), nil)
}

// showChoice asks: the dismiss button first (its text, usually "Cancel"; onDismiss may be
// nil), then the choices, the last of which is the default that Enter runs unless it is
// destructive (then Enter leaves). Every button closes the dialog before it acts. With no
// choices it is a message (Enter closes it too).
func showChoice(win fyne.Window, title string, content fyne.CanvasObject, dismiss string, onDismiss func(), choices ...dialogChoice) *dialog.CustomDialog {
	d := dialog.NewCustomWithoutButtons(title, content, win)
	leave := func() {
		d.Hide()
		if onDismiss != nil {
			onDismiss()
		}
	}
	buttons := []fyne.CanvasObject{newDialogButton(dismiss, nil, widget.MediumImportance, leave)}
	enter := leave
	for _, ch := range choices {
		run := ch.run
		act := func() { d.Hide(); run() }
		buttons = append(buttons, newDialogButton(ch.text, nil, ch.importance, act))
		enter = act
		if ch.importance == widget.DangerImportance {
			enter = leave
		}
	}
	for _, b := range buttons {
		b.(*dialogButton).onEscape = leave
	}
	d.SetButtons(buttons)
	showModal(win, d, enter, leave)
	return d
}

// showForm asks for values: a widget.Form of items, "Cancel" and the confirming button. Enter
// in any of the entries (set up with newDialogEntry) confirms, as the button does; confirm
// decides what a confirmation does.
func showForm(win fyne.Window, title, confirmText string, items []*widget.FormItem, entries []*dialogEntry, confirm func()) *dialog.CustomDialog {
	d := showChoice(win, title, widget.NewForm(items...), lang.L("Cancel"), nil,
		dialogChoice{text: confirmText, importance: widget.HighImportance, run: confirm})
	for _, e := range entries {
		e.onEscape = d.Hide
		e.OnSubmitted = func(string) { d.Hide(); confirm() }
	}
	return d
}

// windowDialogs shows the window's dialogs that belong to no one screen (a failure, a notice)
// and keeps the dialog shown last, so tests can confirm or dismiss it. Every screen that opens
// a dialog over the window is given it, rather than the window itself.
type windowDialogs struct {
	parent fyne.Window
	// remedies are the buttons a failure's dialog offers for its remedies (remedy.go); nil
	// offers none. The main window sets them once its screens exist.
	remedies *remedyActions
	// pendingDialog is the dialog shown last.
	pendingDialog dialog.Dialog
}

// keep remembers d as the dialog shown last.
func (k *windowDialogs) keep(d dialog.Dialog) { k.pendingDialog = d }

// showError shows err in a dialog: for failures that belong to no single field.
func (k *windowDialogs) showError(title string, err error) { k.showFailure(title, "", err) }

// showFailure shows lead (what was done before it failed; may be "") and err in the window's
// words, with "Close" and a button for each of err's remedies the window can do (Enter runs
// the last, as in every dialog; none of them destroys anything).
func (k *windowDialogs) showFailure(title, lead string, err error) {
	text := errorWords(err)
	if lead != "" {
		text = lead + "\n" + text
	}
	msg := &widget.Label{Text: text, Wrapping: fyne.TextWrapWord}
	d := showChoice(k.parent, title, msg, lang.L("Close"), nil, k.remedyChoices(err)...)
	k.keep(d)
	d.Resize(fyne.NewSize(480, 220)) // a wrapping label has no width of its own
}

// remedyChoices is a button for each of err's remedies the window can do.
func (k *windowDialogs) remedyChoices(err error) []dialogChoice {
	return k.remedies.choices(fail.Remedies(err))
}

// showInfo is a plain message dialog.
func (k *windowDialogs) showInfo(title, msg string) {
	d := showMessage(k.parent, title, &widget.Label{Text: msg, Wrapping: fyne.TextWrapWord})
	k.keep(d)
	d.Resize(fyne.NewSize(520, 240))
}
