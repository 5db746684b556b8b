package gui

import (
	"fmt"
	"fyne.io/fyne/v2/lang"
	"net/url"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"connectedapps/core"
)

// presetMenu is "New from preset": the provider presets in a menu under its button, the
// dialog asking for a preset's values, and the new document filled from them.
type presetMenu struct {
	dialogs *windowDialogs
	button  *widget.Button
	// confirmDiscard runs next once unsaved edits in the form are saved or dropped.
	confirmDiscard func(next, cancel func())
	// onOpen opens the form on doc, filled from preset p, whose client is registered at regURL.
	onOpen func(doc *core.App, p core.Preset, regURL string)
}

func newPresetMenu(dialogs *windowDialogs, confirmDiscard func(next, cancel func()), onOpen func(*core.App, core.Preset, string)) *presetMenu {
	m := &presetMenu{dialogs: dialogs, confirmDiscard: confirmDiscard, onOpen: onOpen}
	m.button = &widget.Button{Text: lang.L("New from preset"), Icon: theme.MenuDropDownIcon(), OnTapped: m.show}
	return m
}

// show offers the provider presets under the button.
func (m *presetMenu) show() {
	win := m.dialogs.parent
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(m.button)
	menu := fyne.NewMenu("", m.items()...)
	widget.ShowPopUpMenuAtPosition(menu, win.Canvas(), pos.Add(fyne.NewPos(0, m.button.Size().Height)))
}

// items is one menu item per provider preset.
func (m *presetMenu) items() []*fyne.MenuItem {
	presets, err := core.Presets()
	if err != nil {
		return []*fyne.MenuItem{{Label: fmt.Sprintf(lang.L("Presets unavailable: %s"), errorWords(err)), Disabled: true}}
	}
	items := make([]*fyne.MenuItem, 0, len(presets))
	for _, p := range presets {
		items = append(items, fyne.NewMenuItem(coreText(p.Name), func() {
			m.confirmDiscard(func() { m.newFromPreset(p) }, nil)
		}))
	}
	return items
}

// newFromPreset asks for the values the preset needs (tenant, realm, site, domain), then
// opens the form filled with the preset's document, its quirks and its registration page.
func (m *presetMenu) newFromPreset(p core.Preset) {
	if len(p.Fields) == 0 {
		m.openPreset(p, nil)
		return
	}
	entries := map[string]*dialogEntry{}
	var inOrder []*dialogEntry
	var items []*widget.FormItem
	for _, f := range p.Fields {
		e := newDialogEntry()
		e.PlaceHolder, e.Text = f.Example, f.Default
		entries[f.Name] = e
		inOrder = append(inOrder, e)
		var o fyne.CanvasObject = e
		if f.Help != "" {
			o = withHint(e, coreText(f.Help))
		}
		items = append(items, widget.NewFormItem(coreText(f.Label), o))
	}
	d := showForm(m.dialogs.parent, fmt.Sprintf(lang.L("New %s app"), coreText(p.Name)), lang.L("Continue"), items, inOrder, func() {
		values := map[string]string{}
		for name, e := range entries {
			values[name] = e.Text
		}
		m.openPreset(p, values)
	})
	m.dialogs.keep(d)
	fitDialog(d, 520)
	m.dialogs.parent.Canvas().Focus(inOrder[0])
}

func (m *presetMenu) openPreset(p core.Preset, values map[string]string) {
	app := core.NewApp(p.Name)
	regURL, err := p.Apply(&app, values)
	if err != nil {
		m.dialogs.showError(fmt.Sprintf(lang.L("The %s preset needs more"), coreText(p.Name)), err)
		return
	}
	if app.ProviderName == "" {
		app.ProviderName = p.Name
	}
	m.onOpen(&app, p, regURL)
}

// presetCard tells, above the form, how to register the client and what is special: a
// short numbered checklist, folded under one line once read (it used to be a card of
// paragraphs that pushed the form below the fold).
func presetCard(p core.Preset, regURL string) fyne.CanvasObject {
	steps := container.NewVBox()
	n := 0
	step := func(o fyne.CanvasObject) {
		n++
		steps.Add(container.NewBorder(nil, nil, &widget.Label{Text: fmt.Sprintf("%d.", n), TextStyle: fyne.TextStyle{Bold: true}}, nil, o))
	}
	text := func(s string) *widget.Label { return &widget.Label{Text: s, Wrapping: fyne.TextWrapWord} }
	if u, err := url.Parse(regURL); err == nil && regURL != "" {
		// Wrapped: GitLab's registration path made the window wider than 800 px.
		step(&widget.Hyperlink{Text: fmt.Sprintf(lang.L("Register the client at %s"), u.Host+u.Path), URL: u, Wrapping: fyne.TextWrapBreak})
	}
	if p.Registration != "" {
		step(text(coreText(p.Registration)))
	}
	if p.RedirectAdvice != "" {
		step(text(coreText(p.RedirectAdvice)))
	}
	step(text(lang.L("Paste the client ID (and secret) below, then Save.")))
	if len(p.Quirks) > 0 {
		quirks := make([]string, len(p.Quirks))
		for i, q := range p.Quirks {
			quirks[i] = coreText(q)
		}
		steps.Add(&widget.Label{Text: fmt.Sprintf(lang.L("Good to know:\n• %s"), strings.Join(quirks, "\n• ")), Wrapping: fyne.TextWrapWord, SizeName: theme.SizeNameCaptionText})
	}
	item := widget.NewAccordionItem(fmt.Sprintf(lang.L("%s preset: %d steps to register"), coreText(p.Name), n), steps)
	item.Open = true
	return widget.NewAccordion(item)
}

// presetSummary is a one-line reminder in the status line.
func presetSummary(p core.Preset) string {
	return fmt.Sprintf(lang.L("Filled from the %s preset: add the client ID (and secret), then Save."), coreText(p.Name))
}
