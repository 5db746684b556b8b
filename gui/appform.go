package gui

import (
	"context"
	"errors"
	"fmt"
	"fyne.io/fyne/v2/lang"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"connectedapps/core"
	"connectedapps/core/fail"
)

// appForm is the Connected App document as a form, in Frappe's sections. It edits a copy:
// nothing reaches the registry until Save, and the window asks before edits are dropped.
type appForm struct {
	env     *env
	win     fyne.Window    // for the form's dialogs and focus
	dialogs *windowDialogs // the window's: their remedy buttons for the Delete failure
	formHooks

	orig *core.App // the saved document; nil while creating a new one
	base core.App  // what the form was filled from (the saved one, or a new/preset document)

	// Discovery metadata the person fetched but has not saved yet.
	metadata *core.ProviderMetadata
	// issuerNote, under the Issuer field, says when discovery names another issuer than the kept one.
	issuerNote *widget.Label

	name, discovery, secret, redirectPort *formEntry
	onEvent                               *formEntry // the command run on token events
	clientID                              *formEntry
	register                              *widget.Button        // "Register a client for me": RFC 7591 at the discovered registration endpoint
	initialToken                          *formEntry            // the initial access token a provider may require for registration; never saved
	registerBox                           *fyne.Container       // the initial token's row, shown where registration is possible
	clientIDRow                           *fyne.Container       // the client ID's entry and the register button beside it
	urls                                  map[string]*formEntry // each endpoint's entry by JSON name, discovery's too
	redirectHost, authMethod, grantType   *widget.Select
	publishing                            *widget.Select // where the provider keeps the app (Google: Testing or production)
	pkce                                  *widget.Check
	anyPort                               *widget.Check // redirect port 0: the catcher takes any free port
	discover                              *widget.Button
	discovering                           *widget.ProgressBarInfinite
	redirectURI                           *widget.Label
	copyRedirect                          *widget.Button
	scopeInput                            *widget.SelectEntry
	scopeList                             *fyne.Container
	scopes                                []string
	scopeOptions                          []string // the suggestions offered in scopeInput
	paramList                             *fyne.Container
	gitHostInput                          *widget.Entry
	gitHostList                           *fyne.Container
	gitHosts                              []string
	addGitHost                            *widget.Button
	params                                []paramRow
	save, deleteButton                    *widget.Button
	status                                *widget.Label // what the last save or discovery did
	errors                                map[string]*widget.Label
	endpoints                             *widget.Accordion
	loading                               bool // filling widgets: their change handlers must not mark edits
	filled                                bool // fill has run: before it the widgets hold no document at all
	pendingDelete                         dialog.Dialog
	presetInfo                            *fyne.Container // the preset's registration advice and quirks, for a new app
	scroll                                *container.Scroll
	mainEndpoints                         fyne.CanvasObject // Authorization and Token URI
	endpointBox, topEndpoints             *fyne.Container   // where mainEndpoints stands: see arrange
	savedMark                             string            // the app just saved: Save reads "Saved" until the next edit
}

// fieldInitialToken names the initial access token's entry, as remedies and error lines name
// fields: it is no field of the document (it is sent once and kept nowhere).
const fieldInitialToken = "initial_access_token"

// paramRow is one Extra Parameter.
type paramRow struct {
	key, value *formEntry
}

// Redirect hosts and auth methods as the person sees them.
var (
	redirectHosts = []string{core.HostIPv4, core.HostLocalhost, core.HostIPv6}
)

// authMethods and grantTypes are functions, not tables, so their words are the window's
// language's, which is chosen after the package's variables are set (language.go).
// Plain words first, the protocol's name after them for those who know it.
func authMethods() []choice[core.AuthMethod] {
	return []choice[core.AuthMethod]{
		{core.AuthMethodAuto, lang.L("Automatic (what the provider supports)")},
		{core.AuthMethodBasic, lang.L("Secret in the Authorization header (client_secret_basic)")},
		{core.AuthMethodPost, lang.L("Secret in the request body (client_secret_post)")},
		{core.AuthMethodNone, lang.L("No secret: a public client (none)")},
	}
}

// publishingStatuses are the publishing_status choices; the empty one is "not known".
func publishingStatuses() []choice[core.PublishingStatus] {
	return []choice[core.PublishingStatus]{
		{core.PublishingUnknown, lang.L("Not known")},
		{core.PublishingTesting, lang.L("Testing (Google: refresh tokens end after 7 days)")},
		{core.PublishingProduction, lang.L("In production")},
	}
}

func grantTypes() []choice[core.Grant] {
	return []choice[core.Grant]{
		{core.GrantAuthorizationCode, lang.L("Sign in in the browser (authorization_code)")},
		{core.GrantDeviceCode, lang.L("Enter a code on another device (device_code)")},
		{core.GrantClientCredentials, lang.L("No person: the client acts for itself (client_credentials)")},
	}
}

// choice is one option of a Select: the value stored, and the words shown for it.
type choice[T ~string] struct {
	value T
	label string
}

func choiceLabels[T ~string](cs []choice[T]) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.label
	}
	return out
}

// choiceValue is the stored value of the shown label; a label not among cs is its own value.
func choiceValue[T ~string](cs []choice[T], label string) T {
	for _, c := range cs {
		if c.label == label {
			return c.value
		}
	}
	return T(label)
}

// choiceLabel is the label shown for a stored value; an unknown value is shown as it is.
func choiceLabel[T ~string](cs []choice[T], value T) string {
	for _, c := range cs {
		if c.value == value {
			return c.label
		}
	}
	return string(value)
}

// formHooks is what the form asks of the window around it and tells it.
type formHooks struct {
	// open says the form is on screen, for an app selected or being created; with nothing
	// selected it holds nothing to save.
	open func() bool
	// onEdited runs after every edit: whether there is something to save may have changed.
	onEdited func()
	// onSaved runs after a save with the app as saved; onRemoved after a delete.
	onSaved   func(core.App)
	onRemoved func()
}

func newAppForm(e *env, dialogs *windowDialogs, hooks formHooks) *appForm {
	return &appForm{env: e, win: dialogs.parent, dialogs: dialogs, formHooks: hooks, errors: map[string]*widget.Label{}}
}

// entry makes an entry whose edits update the redirect URI and the Save button.
func (f *appForm) entry(placeholder string) *formEntry {
	e := newFormEntry(f.scrollIntoView)
	e.PlaceHolder = placeholder
	e.OnChanged = func(string) { f.changed() }
	return e
}

// formEntry is an entry of the form that, on gaining the focus (Tab, a shortcut), has the
// page scrolled so that it is in view: Fyne moves the focus without scrolling, and Tab
// went on typing into fields below the fold.
type formEntry struct {
	widget.Entry
	onFocus func(fyne.CanvasObject)
}

func newFormEntry(onFocus func(fyne.CanvasObject)) *formEntry {
	e := &formEntry{onFocus: onFocus}
	e.ExtendBaseWidget(e)
	return e
}

func (e *formEntry) FocusGained() {
	e.Entry.FocusGained()
	if e.onFocus != nil {
		e.onFocus(e)
	}
}

// scrollIntoView scrolls the page the least that shows o whole, with a margin.
func (f *appForm) scrollIntoView(o fyne.CanvasObject) {
	if f.scroll == nil || fyne.CurrentApp().Driver().CanvasForObject(o) == nil {
		return
	}
	d := fyne.CurrentApp().Driver()
	y := d.AbsolutePositionForObject(o).Y - d.AbsolutePositionForObject(f.scroll.Content).Y
	margin := 2 * theme.Padding()
	top, view := f.scroll.Offset.Y, f.scroll.Size().Height
	switch {
	case y-margin < top:
		f.scroll.ScrollToOffset(fyne.NewPos(0, max(0, y-margin)))
	case y+o.Size().Height+margin > top+view:
		f.scroll.ScrollToOffset(fyne.NewPos(0, y+o.Size().Height+margin-view))
	}
}

// hint is a small explanatory line that wraps. A form item's HintText is a canvas.Text that
// never wraps: one long hint made the whole window at least 1185 px wide.
func hint(text string) *widget.Label {
	return &widget.Label{Text: text, SizeName: theme.SizeNameCaptionText, Wrapping: fyne.TextWrapWord}
}

// withHint puts a wrapping hint under o, for a form item.
func withHint(o fyne.CanvasObject, text string) fyne.CanvasObject {
	return container.NewVBox(o, hint(text))
}

// field is a widget with the error line that Save fills for its JSON field. The line is
// always there, empty until needed, so an error appearing or clearing moves nothing below it.
func (f *appForm) field(jsonName string, o fyne.CanvasObject) fyne.CanvasObject {
	msg := &widget.Label{Importance: widget.DangerImportance, Wrapping: fyne.TextWrapWord, SizeName: theme.SizeNameCaptionText}
	f.errors[jsonName] = msg
	// Overlapping the label's own top padding puts the line right under its field.
	return container.New(layout.NewCustomPaddedVBoxLayout(-theme.InnerPadding()), o, msg)
}

// fieldOrder is the order the document's fields stand in the form, top to bottom (core's
// field table's): the first error in it is the one the page scrolls to.
var fieldOrder = func() []string {
	var out []string
	for _, f := range core.Fields {
		if f.Stored() {
			out = append(out, f.JSON)
		}
	}
	return out
}()

// checkedOnInput are the fields whose error lines the form fills as a value is added or
// fetched (a scope, a git host, discovery), not from Validate: typing elsewhere keeps them.
var checkedOnInput = []string{core.FieldOpenIDConfiguration, "scopes", "git_hosts"}

// fieldLabel is the form's label of a field of core's table, in the window's language.
func fieldLabel(jsonName string) string {
	f, _ := core.FieldByJSON(jsonName)
	return fieldText(f)
}

func (f *appForm) content() fyne.CanvasObject {
	name, _ := core.FieldByJSON(core.FieldProviderName)
	f.name = f.entry(fieldPlaceholder(name))
	f.urls = map[string]*formEntry{}
	for _, e := range core.Endpoints() {
		f.urls[e.JSON] = f.entry(fieldPlaceholder(e))
	}
	f.discovery = f.urls[core.FieldOpenIDConfiguration]
	f.discover = &widget.Button{Text: lang.L("Get OpenID Configuration"), Icon: theme.DownloadIcon(), OnTapped: f.onDiscover}
	f.discovery.OnSubmitted = func(string) { f.onDiscover() } // Enter in the URL field discovers
	f.discovering = widget.NewProgressBarInfinite()
	f.discovering.Stop()
	f.discovering.Hide()
	clientID, _ := core.FieldByJSON(core.FieldClientID)
	f.clientID = f.entry(fieldPlaceholder(clientID))
	f.register = &widget.Button{Text: lang.L("Register a client for me"), Icon: theme.ContentAddIcon(), OnTapped: f.onRegister}
	f.register.Disable()
	f.clientIDRow = container.NewBorder(nil, nil, nil, f.register, f.clientID)
	f.initialToken = newFormEntry(f.scrollIntoView)
	f.initialToken.Password, f.initialToken.PlaceHolder = true, lang.L("only if the provider requires one")
	f.secret = newFormEntry(f.scrollIntoView)
	f.secret.Password, f.secret.PlaceHolder = true, lang.L("none (a public client)")
	f.secret.OnChanged = func(string) { f.changed() }
	f.redirectURI = &widget.Label{TextStyle: fyne.TextStyle{Monospace: true}, Selectable: true, Wrapping: fyne.TextWrapBreak}
	f.copyRedirect = &widget.Button{Text: lang.L("Copy"), Icon: theme.ContentCopyIcon(), OnTapped: f.onCopyRedirect}

	f.scopeInput = widget.NewSelectEntry(nil)
	f.scopeInput.PlaceHolder = lang.L("add a scope, e.g. openid")
	f.scopeInput.OnSubmitted = func(string) { f.onAddScope() }
	f.scopeList = container.NewVBox()
	f.paramList = container.NewVBox()
	f.gitHostInput = &widget.Entry{PlaceHolder: lang.L("e.g. github.com, or git.example.com:8443")}
	f.gitHostInput.OnSubmitted = func(string) { f.onAddGitHost() }
	f.gitHostList = container.NewVBox()
	f.addGitHost = &widget.Button{Text: lang.L("Add host"), Icon: theme.ContentAddIcon(), OnTapped: f.onAddGitHost}

	f.redirectHost = widget.NewSelect(redirectHosts, func(string) { f.changed() })
	port, _ := core.FieldByJSON("redirect_port")
	f.redirectPort = f.entry(fieldPlaceholder(port))
	onEvent, _ := core.FieldByJSON(core.FieldOnEvent)
	f.onEvent = f.entry(fieldPlaceholder(onEvent))
	f.anyPort = widget.NewCheck(lang.L("Accept any free port"), f.onAnyPort) // a check's text never wraps: kept short
	f.pkce = widget.NewCheck(lang.L("Use PKCE (S256)"), func(bool) { f.changed() })
	f.authMethod = widget.NewSelect(choiceLabels(authMethods()), func(string) { f.changed() })
	f.grantType = widget.NewSelect(choiceLabels(grantTypes()), func(string) { f.changed() })
	f.publishing = widget.NewSelect(choiceLabels(publishingStatuses()), func(string) { f.changed() })

	f.save = &widget.Button{Text: lang.L("Save"), Icon: theme.DocumentSaveIcon(), Importance: widget.HighImportance, OnTapped: f.onSave}
	f.deleteButton = &widget.Button{Text: lang.L("Delete"), Icon: theme.DeleteIcon(), Importance: widget.DangerImportance, OnTapped: f.onDelete}
	f.status = &widget.Label{Wrapping: fyne.TextWrapWord}
	f.status.Hide()

	section := func(title core.Section) fyne.CanvasObject {
		return container.NewVBox(widget.NewSeparator(), &widget.Label{Text: sectionTitle(title), TextStyle: fyne.TextStyle{Bold: true}})
	}
	cols := &labelColumn{} // one label column for the page's forms: formcolumn.go
	// The endpoints' rows, from core's field table: those an app without discovery needs
	// (Primary) apart, since arrange may move them to the top.
	var primary, others []*widget.FormItem
	for _, e := range core.Endpoints() {
		if e.Section != core.SectionEndpoints {
			continue
		}
		row := f.field(e.JSON, f.urls[e.JSON])
		if e.JSON == core.FieldIssuer {
			// A kept issuer that discovery contradicts is said here, not met at connect.
			f.issuerNote = &widget.Label{Importance: widget.WarningImportance, Wrapping: fyne.TextWrapWord, SizeName: theme.SizeNameCaptionText}
			f.issuerNote.Hide()
			row = container.New(layout.NewCustomPaddedVBoxLayout(-theme.InnerPadding()), row, f.issuerNote)
		}
		item := widget.NewFormItem(fieldText(e), row)
		if e.Primary {
			primary = append(primary, item)
		} else {
			others = append(others, item)
		}
	}
	f.mainEndpoints = cols.form(primary...)
	f.topEndpoints = container.NewVBox()
	f.endpointBox = container.NewVBox(f.mainEndpoints, cols.form(others...))
	f.endpoints = widget.NewAccordion(
		widget.NewAccordionItem(sectionTitle(core.SectionEndpoints), f.endpointBox),
		widget.NewAccordionItem(sectionTitle(core.SectionAdvanced), cols.form(
			widget.NewFormItem(fieldLabel("redirect_host"), f.field("redirect_host", f.redirectHost)),
			widget.NewFormItem(fieldLabel("redirect_port"), container.NewVBox(f.field("redirect_port", f.redirectPort),
				withHint(f.anyPort, lang.L("Only where the provider accepts every loopback port, as Google and Microsoft do.")))),
			widget.NewFormItem(fieldLabel("pkce"), f.pkce),
			widget.NewFormItem(fieldLabel("token_endpoint_auth_method"), f.field("token_endpoint_auth_method", f.authMethod)),
			widget.NewFormItem(fieldLabel("grant_type"), withHint(f.field("grant_type", f.grantType),
				lang.L("Without a browser on this computer, use a code on another device; a service account with no person uses the client's own credentials."))),
			widget.NewFormItem(fieldLabel("git_hosts"), withHint(f.field("git_hosts", container.NewVBox(
				container.NewBorder(nil, nil, nil, f.addGitHost, f.gitHostInput), f.gitHostList)),
				lang.L("git gets this app's token for these hosts only; git asking for any other host gets nothing."))),
			widget.NewFormItem(fieldLabel(core.FieldPublishingStatus), withHint(f.field(core.FieldPublishingStatus, f.publishing),
				lang.L("As the provider's console shows it (Google: OAuth consent screen). It decides the warning before a refresh token ends."))),
			widget.NewFormItem(fieldLabel(core.FieldOnEvent), withHint(f.field(core.FieldOnEvent, f.onEvent),
				lang.L("Run on connected, refreshed, needs_reauth and disconnected, told the app, the event and the expiry, never a token; no shell unless you write sh -c."))),
		)),
	)
	f.endpoints.MultiOpen = true

	f.registerBox = container.NewVBox(
		cols.form(widget.NewFormItem(lang.L("Initial access token"), f.field(fieldInitialToken, f.initialToken))),
		hint(lang.L("The provider offers client registration: Register a client for me creates the client there with this app's redirect URI, and saves the app.")),
	)
	f.registerBox.Hide()
	f.presetInfo = container.NewVBox()
	body := container.NewVBox(
		f.presetInfo,
		cols.form(widget.NewFormItem(fieldLabel(core.FieldProviderName), f.field(core.FieldProviderName, f.name))),
		f.topEndpoints,
		section(core.SectionDiscovery),
		hint(lang.L("Paste the provider's issuer or discovery URL and get its configuration: the endpoints below fill themselves.")),
		f.field(core.FieldOpenIDConfiguration, container.NewBorder(nil, nil, nil, f.discover, f.discovery)),
		f.discovering,
		section(core.SectionClient),
		cols.form(
			widget.NewFormItem(fieldLabel(core.FieldClientID), f.field(core.FieldClientID, f.clientIDRow)),
		),
		f.registerBox,
		cols.form(
			widget.NewFormItem(fieldLabel(core.FieldClientSecret), f.secret),
			widget.NewFormItem(fieldLabel("redirect_uri"), container.NewBorder(nil, nil, nil, f.copyRedirect, f.redirectURI)),
		),
		hint(lang.L("Register exactly this redirect URI with the provider (scheme, host, port and path must match).")),
		section(core.SectionScopes),
		f.field("scopes", container.NewBorder(nil, nil, nil, &widget.Button{Text: lang.L("Add"), Icon: theme.ContentAddIcon(), OnTapped: f.onAddScope}, f.scopeInput)),
		f.scopeList,
		section(core.SectionParams),
		hint(lang.L("Sent with the sign-in request, e.g. access_type = offline for a Google refresh token.")),
		f.field("query_parameters", f.paramList),
		container.NewHBox(&widget.Button{Text: lang.L("Add parameter"), Icon: theme.ContentAddIcon(), OnTapped: func() { f.addParam("", ""); f.changed() }}),
		widget.NewSeparator(),
		f.endpoints,
	)
	buttons := container.NewBorder(nil, nil, f.deleteButton, f.save, f.status)
	f.scroll = wheelScroll(body)
	return container.NewBorder(nil, container.NewVBox(widget.NewSeparator(), buttons), nil, nil, f.scroll)
}

// load fills the form from a saved app, dropping any edits.
func (f *appForm) load(app *core.App) {
	if app == nil {
		f.loadNew(nil)
		return
	}
	saved := *app
	f.orig = &saved
	f.fill(saved)
	f.deleteButton.Show()
}

// loadNew starts a new document: the defaults, or a preset's document.
func (f *appForm) loadNew(preset *core.App) {
	app := core.NewApp("")
	if preset != nil {
		app = *preset
	}
	f.orig = nil
	f.fill(app)
	f.deleteButton.Hide()
}

func (f *appForm) fill(app core.App) {
	f.loading = true
	defer func() { f.loading = false; f.changed() }()
	f.filled = true
	if app.ID != f.savedMark {
		f.savedMark = ""
	}
	if app.ID != f.base.ID { // a new document gets a new ID each time
		// Another document: it opens at its top, not where the last one was left (a reload
		// of the same one, as after Save, keeps the place).
		f.scroll.ScrollToTop()
	}
	// A blank new document (it has an ID already, but no name) keeps discovery first.
	f.arrange(app.OpenIDConfiguration == "" && !app.UsesOpenID() && (f.orig != nil || app.AuthorizationURI != "" || app.ProviderName != ""))
	f.base = app
	f.metadata = nil
	f.syncIssuerNote()
	f.initialToken.SetText("")
	f.presetInfo.RemoveAll()
	f.clearErrors()
	f.status.Hide()
	f.name.SetText(app.ProviderName)
	f.clientID.SetText(app.ClientID)
	f.secret.SetText("")
	f.secret.PlaceHolder = lang.L("none (a public client)")
	if app.HasClientSecret {
		f.secret.PlaceHolder = lang.L("stored in the keyring; type a new one to replace it")
	}
	f.secret.Refresh()
	f.setEndpoints(&app)
	f.redirectHost.SetSelected(app.RedirectHost)
	f.redirectPort.SetText(strconv.Itoa(app.RedirectPort))
	f.anyPort.SetChecked(app.RedirectPort == 0)
	f.syncPortEntry()
	f.onEvent.SetText(app.OnEvent)
	f.pkce.SetChecked(app.PKCE)
	method := app.TokenEndpointAuthMethod
	if method == "" {
		method = core.AuthMethodAuto
	}
	f.authMethod.SetSelected(choiceLabel(authMethods(), method))
	grant := app.GrantType
	if grant == "" {
		grant = core.GrantAuthorizationCode
	}
	f.grantType.SetSelected(choiceLabel(grantTypes(), grant))
	f.publishing.SetSelected(choiceLabel(publishingStatuses(), app.PublishingStatus))
	f.scopes = slices.Clone(app.Scopes)
	f.renderScopes()
	f.params = nil
	f.paramList.RemoveAll()
	for _, p := range app.QueryParameters {
		f.addParam(p.Key, p.Value)
	}
	f.scopeInput.SetText("")
	f.updateScopeSuggestions()
	f.gitHosts = slices.Clone(app.GitHosts)
	f.gitHostInput.SetText("")
	f.renderGitHosts()
}

// arrange puts the Authorization and Token URIs first, under the name, for an app without
// OpenID Connect discovery (Generic OAuth 2.0, GitHub): they are what it needs, and they sat
// folded away below everything else. With discovery they stay in the Endpoints section,
// which fills itself.
func (f *appForm) arrange(endpointsFirst bool) {
	first := len(f.topEndpoints.Objects) > 0
	if first == endpointsFirst {
		return
	}
	// The page's height changes: lay it out again, or the moved rows overlap what follows.
	defer func() {
		if f.scroll != nil {
			f.scroll.Content.Refresh()
			f.scroll.Refresh()
		}
	}()
	if endpointsFirst {
		f.endpointBox.Remove(f.mainEndpoints)
		f.topEndpoints.Objects = []fyne.CanvasObject{widget.NewSeparator(),
			&widget.Label{Text: lang.L("Endpoints"), TextStyle: fyne.TextStyle{Bold: true}},
			hint(lang.L("This provider has no discovery: give its authorization and token URIs from its documentation.")),
			f.mainEndpoints}
		f.topEndpoints.Refresh()
		return
	}
	f.topEndpoints.RemoveAll()
	f.endpointBox.Objects = append([]fyne.CanvasObject{f.mainEndpoints}, f.endpointBox.Objects...)
	f.endpointBox.Refresh()
}

// onAnyPort is the "accept any free port" toggle: port 0, or back to the default port.
func (f *appForm) onAnyPort(on bool) {
	if f.loading {
		return
	}
	port := core.DefaultRedirectPort
	if f.base.RedirectPort > 0 {
		port = f.base.RedirectPort
	}
	if on {
		port = 0
	}
	f.redirectPort.SetText(strconv.Itoa(port))
	f.syncPortEntry()
}

// syncPortEntry greys the port out while any free port is accepted: 0 is not a port to edit.
func (f *appForm) syncPortEntry() {
	if f.anyPort.Checked {
		f.redirectPort.Disable()
	} else {
		f.redirectPort.Enable()
	}
}

// document is the form's content as a document (without validation: Save validates).
func (f *appForm) document() core.App {
	app := f.base
	app.ProviderName = strings.TrimSpace(f.name.Text)
	app.ClientID = strings.TrimSpace(f.clientID.Text)
	for _, e := range core.Endpoints() {
		*e.Text(&app) = strings.TrimSpace(f.urls[e.JSON].Text)
	}
	app.RedirectHost = f.redirectHost.Selected
	app.RedirectPort = -1 // an unreadable port fails validation with a message
	if p, err := strconv.Atoi(strings.TrimSpace(f.redirectPort.Text)); err == nil {
		app.RedirectPort = p
	}
	app.PKCE = f.pkce.Checked
	app.TokenEndpointAuthMethod = choiceValue(authMethods(), f.authMethod.Selected)
	app.GrantType = choiceValue(grantTypes(), f.grantType.Selected)
	app.PublishingStatus = choiceValue(publishingStatuses(), f.publishing.Selected)
	app.Scopes = slices.Clone(f.scopes)
	if app.Scopes == nil {
		app.Scopes = []string{}
	}
	app.GitHosts = slices.Clone(f.gitHosts)
	app.OnEvent = strings.TrimSpace(f.onEvent.Text)
	app.QueryParameters = []core.QueryParameter{}
	for _, p := range f.params {
		if strings.TrimSpace(p.key.Text) == "" && p.value.Text == "" {
			continue // an empty row is not a parameter
		}
		app.QueryParameters = append(app.QueryParameters, core.QueryParameter{Key: strings.TrimSpace(p.key.Text), Value: p.value.Text})
	}
	if f.metadata != nil {
		app.ScopesSupported = f.metadata.ScopesSupported
		app.CodeChallengeMethodsSupported = f.metadata.CodeChallengeMethodsSupported
		app.TokenEndpointAuthMethodsSupported = f.metadata.TokenEndpointAuthMethodsSupported
		app.RegistrationEndpoint = f.metadata.RegistrationEndpoint
	}
	return app
}

// isDirty says the form holds something Save would write.
func (f *appForm) isDirty() bool {
	// An unfilled form is not an edited one. At a restart the remembered app is selected
	// before the form was ever filled; its empty widgets differ from the zero document, and
	// reading that as edits kept the saved registration out of the form (blank fields, Save
	// enabled, "unsaved changes" on leaving).
	if f.name == nil || !f.filled || !f.open() {
		return false
	}
	if f.secret.Text != "" {
		return true
	}
	return !sameDocument(f.document(), f.base)
}

func sameDocument(a, b core.App) bool {
	a.SetConnection(nil)
	b.SetConnection(nil)
	ja, _ := a.MarshalJSON()
	jb, _ := b.MarshalJSON()
	return string(ja) == string(jb)
}

// discard drops the edits by refilling the form from what it was loaded with.
func (f *appForm) discard() {
	if f.orig != nil {
		f.fill(*f.orig)
	} else {
		f.fill(core.NewApp(""))
	}
}

// name is what the unsaved-changes prompt calls the document.
func (f *appForm) displayName() string {
	if n := strings.TrimSpace(f.name.Text); n != "" {
		return n
	}
	return lang.L("The new app")
}

// changed keeps the redirect URI live and the Save button honest.
func (f *appForm) changed() {
	if f.loading || f.redirectURI == nil {
		return
	}
	app := f.shownDocument()
	f.syncIssuerNote()
	if app.RedirectPort < 0 || app.RedirectPort > 65535 {
		f.redirectURI.SetText(lang.L("(enter a port from 0 to 65535)"))
	} else if app.RedirectPort == 0 {
		// core's RedirectURI says "(any port)" in English: the window says it in its language.
		f.redirectURI.SetText(fmt.Sprintf(lang.L("%s (any port)"), "http://"+app.RedirectHost+app.Callback()))
	} else {
		f.redirectURI.SetText(app.RedirectURI())
	}
	f.syncRegister(&app)
	dirty := f.isDirty()
	if dirty {
		f.savedMark = ""
		f.save.Enable()
	} else if f.orig != nil {
		f.save.Disable()
	}
	// "Saved" on the button itself, where the person just pressed, until the next edit.
	text, icon := lang.L("Save"), theme.DocumentSaveIcon()
	if !dirty && f.orig != nil && f.orig.ID == f.savedMark {
		text, icon = lang.L("Saved"), theme.ConfirmIcon()
	}
	if f.save.Text != text {
		f.save.Text, f.save.Icon = text, icon
		f.save.Refresh()
	}
	f.clearFixedErrors(app)
	f.onEdited() // Save in the menu follows the button
}

// clearFixedErrors empties the error line of every field that is no longer wrong, as the
// person types; it never adds one (that waits for Save).
func (f *appForm) clearFixedErrors(app core.App) {
	shown := false
	for _, l := range f.errors {
		shown = shown || l.Text != ""
	}
	if !shown {
		return
	}
	still := map[string]bool{}
	for _, ve := range validationErrors(app) {
		still[ve.Field] = true
	}
	for _, field := range fieldOrder {
		if l, ok := f.errors[field]; ok && !still[field] && l.Text != "" && !slices.Contains(checkedOnInput, field) {
			f.setError(field, "")
		}
	}
}

// validationErrors is every field error of app, not only the first that core's Validate
// names: each wrong field is set to a value that passes and the document checked again,
// so the checks stay core's own.
func validationErrors(app core.App) []*core.ValidationError {
	var out []*core.ValidationError
	seen := map[string]bool{}
	for range len(fieldOrder) + 1 {
		var ve *core.ValidationError
		if err := app.Validate(); !errors.As(err, &ve) || seen[ve.Field] {
			if err != nil && ve == nil {
				out = append(out, &core.ValidationError{Message: coreWords(err)})
			}
			break
		}
		seen[ve.Field] = true
		out = append(out, ve)
		if !passing(&app, ve.Field) {
			break
		}
	}
	return out
}

// passing sets field to a value Validate accepts; false for a field it does not know.
func passing(app *core.App, field string) bool {
	const ok = "https://valid.invalid/"
	if e, known := core.FieldByJSON(field); known && e.Kind == core.KindEndpoint {
		*e.Text(app) = ok
		return true
	}
	switch field {
	case "provider_name":
		app.ProviderName = "valid"
	case "client_id":
		app.ClientID = "valid"
	case "grant_type":
		app.GrantType = core.GrantAuthorizationCode
	case "scopes":
		app.Scopes = nil
	case "query_parameters":
		app.QueryParameters = nil
	case "redirect_host":
		app.RedirectHost = core.HostIPv4
	case "redirect_port":
		app.RedirectPort = 0
	case "token_endpoint_auth_method":
		app.TokenEndpointAuthMethod = core.AuthMethodAuto
	case "git_hosts":
		app.GitHosts = nil
	case core.FieldOnEvent:
		app.OnEvent = ""
	case core.FieldPublishingStatus:
		app.PublishingStatus = core.PublishingUnknown
	default:
		return false
	}
	return true
}

// shownDocument is document with the callback path a new app's name gives it (registering
// fixes the path, made unique among the apps; the form then shows the saved one).
func (f *appForm) shownDocument() core.App {
	app := f.document()
	if f.orig == nil {
		app.CallbackPath = core.NewCallbackPath(app.ProviderName, nil)
	}
	return app
}

func (f *appForm) onCopyRedirect() {
	app := f.shownDocument()
	if app.RedirectPort == 0 {
		// Any port: the provider must accept every loopback port; copy the portless form
		// providers such as Google and Microsoft register.
		f.env.app.Clipboard().SetContent("http://" + app.RedirectHost + app.Callback())
	} else {
		f.env.app.Clipboard().SetContent(app.RedirectURI())
	}
	f.showStatus(lang.L("Redirect URI copied: register exactly this with the provider."), widget.MediumImportance)
}

// onDiscover fetches the provider's configuration off the UI goroutine and fills the
// endpoint fields; failure is shown under the URL, never as a crash or a frozen window.
func (f *appForm) onDiscover() {
	raw := strings.TrimSpace(f.discovery.Text)
	f.setError("openid_configuration", "")
	if raw == "" {
		f.setError("openid_configuration", lang.L("Paste the provider's issuer URL (for example https://accounts.google.com) first."))
		return
	}
	// An issuer typed by hand before any discovery is the one the document must name (for
	// providers whose document advertises a templated issuer); otherwise discovery names it.
	expected := ""
	if f.base.OpenIDConfiguration == "" {
		expected = strings.TrimSpace(f.urls[core.FieldIssuer].Text)
	}
	f.discover.Disable()
	f.discovering.Show()
	f.discovering.Start()
	f.env.runAsync(func() {
		md, err := f.env.svc.Discover(context.Background(), raw, expected)
		fyne.Do(func() {
			f.discovering.Stop()
			f.discovering.Hide()
			f.discover.Enable()
			if err != nil {
				f.setError("openid_configuration", errorWords(err))
				return
			}
			f.applyMetadata(md, raw, expected)
		})
	})
}

func (f *appForm) applyMetadata(md *core.ProviderMetadata, raw, expectedIssuer string) {
	app := f.document()
	app.Issuer = expectedIssuer // "" lets discovery name it
	docURL, _, err := core.DiscoveryURL(raw)
	if err != nil {
		docURL = raw
	}
	app.ApplyMetadata(md, docURL)
	f.metadata = md
	f.setEndpoints(&app)
	f.syncIssuerNote()
	f.endpoints.Open(0)
	f.updateScopeSuggestions()
	f.showStatus(fmt.Sprintf(lang.L("Found %s: the endpoints are filled in. Save to keep them."), md.Issuer), widget.SuccessImportance)
	shown := f.shownDocument()
	f.syncRegister(&shown)
}

// syncIssuerNote says, under the Issuer field, when the discovery document fetched here
// names another issuer than the one the field keeps (typed before discovery, so the document
// was not held to it): ID tokens are checked against the field's. It follows the field as
// the person types, and goes with another document.
func (f *appForm) syncIssuerNote() {
	if f.issuerNote == nil {
		return
	}
	var contradicted error
	if f.metadata != nil {
		kept := core.App{Issuer: strings.TrimSpace(f.urls[core.FieldIssuer].Text)}
		contradicted = kept.IssuerContradicted(f.metadata)
	}
	if contradicted == nil {
		f.issuerNote.SetText("")
		f.issuerNote.Hide()
		return
	}
	// core's line names what to do (the field is right above it): no remedy appended.
	f.issuerNote.SetText(fmt.Sprintf(lang.L("Note: %s"), coreWords(contradicted)))
	f.issuerNote.Show()
}

// syncRegister offers registration while no client ID is given: for a new app whose provider
// advertised a registration endpoint, and for a saved app whose client this program did not
// register, whose person cleared the client ID (its discovery document, if it names no
// registration endpoint yet, is read again when the button is pressed). One given a client ID
// by hand, or registered here already, has its client.
func (f *appForm) syncRegister(app *core.App) {
	empty := strings.TrimSpace(f.clientID.Text) == ""
	switch {
	case f.orig != nil && f.orig.Registration != nil:
		f.register.Hide()
		f.registerBox.Hide()
	case f.orig != nil && empty && (core.CanRegister(app) || app.OpenIDConfiguration != ""),
		f.orig == nil && empty && core.CanRegister(app):
		f.register.Show()
		f.register.Enable()
		f.registerBox.Show()
	case f.orig != nil && !core.CanRegister(app) && app.OpenIDConfiguration == "":
		f.register.Hide() // nowhere to register: the client is typed
		f.registerBox.Hide()
	default:
		f.register.Show()
		f.register.Disable()
		f.registerBox.Hide()
	}
	f.clientIDRow.Refresh() // the entry takes the button's room, or gives it back
}

// onRegister registers a client at the provider (RFC 7591) for the new app in the form and
// saves the app with the client ID the provider gave; its secrets go to the keyring.
func (f *appForm) onRegister() {
	if f.name == nil || !f.open() {
		return
	}
	if f.orig != nil {
		f.onRegisterSaved()
		return
	}
	f.clearErrors()
	app := f.document()
	probe := app
	probe.ClientID = "registering" // the provider gives it
	if errs := validationErrors(probe); len(errs) > 0 {
		f.showValidationErrors(errs)
		return
	}
	token := strings.TrimSpace(f.initialToken.Text)
	f.register.Disable()
	f.save.Disable()
	f.showStatus(lang.L("Registering a client at the provider…"), widget.MediumImportance)
	svc := f.env.svc
	f.env.runAsync(func() {
		saved, err := svc.AddRegistered(context.Background(), app, token)
		fyne.Do(func() {
			f.save.Enable()
			if err != nil && saved.ID == "" {
				shown := f.shownDocument()
				f.syncRegister(&shown)
				f.registerFailed(err)
				return
			}
			f.saved(saved, core.EditResult{}, err, nil)
			f.fill(saved) // the client ID and auth method the provider gave; the token field emptied
			if err != nil {
				f.showStatus(errorWords(err), widget.DangerImportance)
			} else {
				f.showStatus(fmt.Sprintf(lang.L("Registered client %s at the provider and saved: connect to sign in."), saved.ClientID), widget.SuccessImportance)
			}
		})
	})
}

// onRegisterSaved registers a client at the provider for the saved app whose client ID the
// person cleared, and saves its ID into that app (core's RegisterExisting). Other unsaved
// edits are saved or undone first, since it is the saved app that is registered. Accounts
// signed in with the old client lose their tokens, which the new client cannot use: the
// person is asked first, and told which must connect again.
func (f *appForm) onRegisterSaved() {
	f.clearErrors()
	orig := *f.orig
	doc := f.document()
	doc.ClientID = orig.ClientID
	if f.secret.Text != "" || !sameDocument(doc, f.base) {
		f.showStatus(lang.L("Save or undo the other changes first: the saved app is what gets the registered client."), widget.DangerImportance)
		return
	}
	token := strings.TrimSpace(f.initialToken.Text)
	run := func() {
		f.register.Disable()
		f.save.Disable()
		f.showStatus(lang.L("Registering a client at the provider…"), widget.MediumImportance)
		svc := f.env.svc
		f.env.runAsync(func() {
			res, err := svc.RegisterExisting(context.Background(), orig.ID, token)
			fyne.Do(func() {
				f.save.Enable()
				if err != nil && res.App.ID == "" {
					shown := f.shownDocument()
					f.syncRegister(&shown)
					f.registerFailed(err)
					return
				}
				f.saved(res.App, core.EditResult{}, err, nil)
				f.fill(res.App)
				switch {
				case err != nil:
					f.showStatus(errorWords(err), widget.DangerImportance)
				case len(res.Dropped) > 0:
					f.showStatus(fmt.Sprintf(lang.L("Registered client %s at the provider and saved. The tokens of %s were for the old client, so they were deleted: connect again."),
						res.App.ClientID, strings.Join(res.Dropped, ", ")), widget.WarningImportance)
				default:
					f.showStatus(fmt.Sprintf(lang.L("Registered client %s at the provider and saved: connect to sign in."), res.App.ClientID), widget.SuccessImportance)
				}
			})
		})
	}
	if len(orig.Accounts) == 0 {
		run()
		return
	}
	msg := fmt.Sprintf(lang.L("Register a new client for %s at the provider? Its accounts signed in with the old client cannot use it: their tokens are revoked and deleted, and each must connect again."), orig.ProviderName)
	d := showChoice(f.win, lang.L("Register a client for me"), &widget.Label{Text: msg, Wrapping: fyne.TextWrapWord}, lang.L("Cancel"), nil,
		dialogChoice{text: lang.L("Register"), importance: widget.WarningImportance, run: run})
	f.dialogs.keep(d)
	fitDialog(d, 480)
}

// registerFailed says why the provider registered no client, beside the client ID and in a
// dialog whose buttons go to the field its remedy names (the initial access token, the client
// ID): the app is not saved yet, so they act on this form.
func (f *appForm) registerFailed(err error) {
	var ve *core.ValidationError
	if errors.As(err, &ve) {
		f.showValidation(err)
		return
	}
	words := errorWords(err)
	f.setError(core.FieldClientID, words)
	f.showStatus(fmt.Sprintf(lang.L("Not registered: %s"), words), widget.DangerImportance)
	here := &remedyActions{openField: func(_, field string) { f.focusField(field) }}
	d := showChoice(f.win, lang.L("Client registration failed"), &widget.Label{Text: words, Wrapping: fyne.TextWrapWord}, lang.L("Close"), nil,
		here.choices(fail.Remedies(err))...)
	f.dialogs.keep(d)
	fitDialog(d, 480)
}

// setEndpoints puts the app's endpoints (and discovery URL) into their entries.
func (f *appForm) setEndpoints(app *core.App) {
	for _, e := range core.Endpoints() {
		f.urls[e.JSON].SetText(*e.Text(app))
	}
}

// Scopes.

func (f *appForm) onAddScope() {
	f.setError("scopes", "")
	s := strings.TrimSpace(f.scopeInput.Text)
	switch {
	case s == "":
		return
	case strings.ContainsFunc(s, unicode.IsSpace):
		f.setError("scopes", fmt.Sprintf(lang.L("%q has a space: add one scope at a time."), s))
		return
	case slices.Contains(f.scopes, s):
		f.setError("scopes", fmt.Sprintf(lang.L("%q is already in the list."), s))
		return
	}
	f.scopes = append(f.scopes, s)
	f.scopeInput.SetText("")
	f.renderScopes()
	f.updateScopeSuggestions()
	f.changed()
}

func (f *appForm) removeScope(s string) {
	f.scopes = slices.DeleteFunc(f.scopes, func(x string) bool { return x == s })
	f.renderScopes()
	f.updateScopeSuggestions()
	f.changed()
}

func (f *appForm) renderScopes() {
	renderRemovable(f.scopeList, f.scopes, lang.L("No scopes yet."), f.removeScope)
}

// renderRemovable shows items one per row, each with a delete button, or the empty text in
// italics (the disabled colour would be too faint to read: see theme.go).
func renderRemovable(list *fyne.Container, items []string, empty string, remove func(string)) {
	list.RemoveAll()
	if len(items) == 0 {
		list.Add(&widget.Label{Text: empty, TextStyle: fyne.TextStyle{Italic: true}})
	}
	for _, item := range items {
		list.Add(container.NewBorder(nil, nil, nil,
			&widget.Button{Icon: theme.DeleteIcon(), Importance: widget.LowImportance, OnTapped: func() { remove(item) }},
			&widget.Label{Text: item, TextStyle: fyne.TextStyle{Monospace: true}, Truncation: fyne.TextTruncateEllipsis}))
	}
	list.Refresh()
}

// updateScopeSuggestions offers what the provider advertises and is not chosen yet.
func (f *appForm) updateScopeSuggestions() {
	supported := f.base.ScopesSupported
	if f.metadata != nil {
		supported = f.metadata.ScopesSupported
	}
	var options []string
	for _, s := range supported {
		if !slices.Contains(f.scopes, s) {
			options = append(options, s)
		}
	}
	f.scopeOptions = options
	f.scopeInput.SetOptions(options)
}

// Git hosts, kept like the scopes: one at a time, each checked as it is added.

func (f *appForm) onAddGitHost() {
	f.setError("git_hosts", "")
	hosts := core.NormalizeGitHosts(f.gitHostInput.Text)
	if len(hosts) == 0 {
		return
	}
	for _, h := range hosts {
		if err := core.CheckGitHost(h); err != nil {
			f.setError("git_hosts", errorWords(err))
			return
		}
	}
	f.gitHosts = core.NormalizeGitHosts(append(f.gitHosts, hosts...)...)
	f.gitHostInput.SetText("")
	f.renderGitHosts()
	f.changed()
}

func (f *appForm) removeGitHost(h string) {
	f.gitHosts = slices.DeleteFunc(f.gitHosts, func(x string) bool { return x == h })
	f.renderGitHosts()
	f.changed()
}

func (f *appForm) renderGitHosts() {
	renderRemovable(f.gitHostList, f.gitHosts, lang.L("None: git gets no token from this app."), f.removeGitHost)
}

// Extra parameters.

func (f *appForm) addParam(key, value string) {
	row := paramRow{key: f.entry("key"), value: f.entry("value")}
	row.key.SetText(key)
	row.value.SetText(value)
	f.params = append(f.params, row)
	var line *fyne.Container
	remove := &widget.Button{Icon: theme.DeleteIcon(), Importance: widget.LowImportance}
	line = container.NewBorder(nil, nil, nil, remove, container.NewGridWithColumns(2, row.key, row.value))
	remove.OnTapped = func() {
		f.params = slices.DeleteFunc(f.params, func(p paramRow) bool { return p.key == row.key })
		f.paramList.Remove(line)
		f.changed()
	}
	f.paramList.Add(line)
}

// Save and delete.

func (f *appForm) onSave() { f.saveThen(nil) }

// saveThen validates and saves, then runs next (may be nil) once the save succeeded.
func (f *appForm) saveThen(next func()) {
	if f.name == nil || !f.open() {
		return
	}
	f.clearErrors()
	app := f.document()
	if errs := validationErrors(app); len(errs) > 0 {
		// document() reads an unreadable port as -1; say what was typed, not "-1".
		port := strings.TrimSpace(f.redirectPort.Text)
		for i, ve := range errs {
			if _, perr := strconv.Atoi(port); perr != nil && ve.Field == "redirect_port" {
				errs[i] = &core.ValidationError{Field: "redirect_port", Message: fmt.Sprintf(lang.L("%q is not a port number: use 1-65535, or 0 for any free port"), port)}
			}
		}
		f.showValidationErrors(errs)
		return
	}
	var secret *string          // a new app's secret, when one was typed
	change := core.KeepSecret() // an edit keeps the stored one unless a new one was typed
	if s := f.secret.Text; s != "" {
		secret, change = &s, core.SetSecret(s)
	}
	f.save.Disable()
	orig := f.orig
	svc := f.env.svc
	f.env.runAsync(func() {
		var saved core.App
		var res core.EditResult
		var err error
		if orig == nil {
			saved, err = svc.Add(app, secret)
		} else {
			res, err = svc.Edit(context.Background(), orig.ID, func(a *core.App) error {
				*a = copyDocument(*a, app)
				return nil
			}, change)
			saved = res.App
		}
		fyne.Do(func() { f.saved(saved, res, err, next) })
	})
}

// copyDocument takes the form's fields onto the stored app, leaving what the form does not
// own (id, connection facts, whether a secret is stored) as stored.
func copyDocument(stored, form core.App) core.App {
	form.ID, form.HasClientSecret = stored.ID, stored.HasClientSecret
	form.Accounts, form.DefaultAccount = stored.Accounts, stored.DefaultAccount
	form.Registration = stored.Registration
	return form
}

func (f *appForm) saved(app core.App, res core.EditResult, err error, next func()) {
	f.save.Enable()
	if err != nil && app.ID == "" {
		f.showValidation(err)
		return
	}
	if err == nil {
		f.savedMark = app.ID
	}
	f.secret.SetText("")
	f.orig = &app
	f.base = app
	f.onSaved(app)
	switch {
	case err != nil: // saved, but the secret could not reach the keyring
		f.showStatus(errorWords(err), widget.DangerImportance)
	case res.TokensDropped:
		msg := lang.L("Saved. The client, token URI or issuer changed, so the old tokens were revoked and deleted: connect again.")
		if res.RevocationProblem != "" {
			msg = fmt.Sprintf(lang.L("Saved. The client, token URI or issuer changed, so the old tokens were revoked and deleted: connect again. (The provider could not be told: %s)"), res.RevocationProblem)
		}
		f.showStatus(msg, widget.WarningImportance)
	case res.ReconnectToApply:
		f.showStatus(lang.L("Saved. The scopes changed: the current tokens keep working; connect again to apply them."), widget.WarningImportance)
	default:
		f.showStatus(lang.L("Saved."), widget.SuccessImportance)
	}
	if next != nil && err == nil {
		next()
	}
}

// showValidation shows an error from saving: beside its field when it names one.
func (f *appForm) showValidation(err error) {
	var ve *core.ValidationError
	if errors.As(err, &ve) {
		f.showValidationErrors([]*core.ValidationError{ve})
		return
	}
	f.showStatus(fmt.Sprintf(lang.L("Not saved: %s"), errorWords(err)), widget.DangerImportance)
}

// showValidationErrors puts every field error beside its field (opening its section), says
// in the status line how many there are, and scrolls the page to the first.
func (f *appForm) showValidationErrors(errs []*core.ValidationError) {
	var beside []*core.ValidationError
	var other []string
	for _, ve := range errs {
		if _, ok := f.errors[ve.Field]; !ok {
			other = append(other, messageWords(ve.Message))
			continue
		}
		beside = append(beside, ve)
		f.setError(ve.Field, messageWords(ve.Message))
		switch fd, _ := core.FieldByJSON(ve.Field); fd.Section {
		case core.SectionEndpoints:
			f.endpoints.Open(0)
		case core.SectionAdvanced:
			f.endpoints.Open(1)
		}
	}
	switch {
	case len(other) > 0:
		f.showStatus(fmt.Sprintf(lang.L("Not saved: %s"), strings.Join(other, "; ")), widget.DangerImportance)
	case len(beside) == 1:
		f.showStatus(fmt.Sprintf(lang.L("Not saved: %s"), messageWords(beside[0].Message)), widget.DangerImportance)
	default:
		f.showStatus(fmt.Sprintf(lang.L("Not saved: %d fields need a fix, each marked in red."), len(beside)), widget.DangerImportance)
	}
	for _, field := range fieldOrder {
		if slices.ContainsFunc(beside, func(ve *core.ValidationError) bool { return ve.Field == field }) {
			f.scrollTo(f.errors[field])
			return
		}
	}
}

// scrollTo scrolls the form so that the field above the error line o is in view.
func (f *appForm) scrollTo(o fyne.CanvasObject) {
	if f.scroll == nil || fyne.CurrentApp().Driver().CanvasForObject(o) == nil {
		return
	}
	f.scroll.Content.Refresh() // lay out the sections just opened, so positions are current
	d := fyne.CurrentApp().Driver()
	y := d.AbsolutePositionForObject(o).Y - d.AbsolutePositionForObject(f.scroll.Content).Y
	// The field sits above its error line: show the line with room for the field and label.
	top := y - 3*theme.Padding() - f.name.MinSize().Height
	f.scroll.ScrollToOffset(fyne.NewPos(0, max(0, top)))
}

func (f *appForm) setError(field, msg string) {
	l, ok := f.errors[field]
	if !ok {
		return
	}
	l.SetText(msg)
}

func (f *appForm) clearErrors() {
	for field := range f.errors {
		f.setError(field, "")
	}
}

func (f *appForm) showStatus(msg string, importance widget.Importance) {
	f.status.Text, f.status.Importance = msg, importance
	f.status.Refresh()
	f.status.Show()
}

// onDelete confirms, revokes when connected, then removes the app and its secrets. When
// the provider cannot be reached it offers to forget the app locally instead.
func (f *appForm) onDelete() {
	if f.orig == nil {
		return
	}
	app := *f.orig
	msg := fmt.Sprintf(lang.L("Delete %s and its secrets from this computer?"), app.ProviderName)
	if app.Connection() != nil {
		msg = fmt.Sprintf(lang.L("Delete %s and its secrets from this computer? Its tokens are revoked at the provider first."), app.ProviderName)
	}
	if core.DeletesRegistration(&app) {
		msg = fmt.Sprintf(lang.L("Delete %s and its secrets from this computer? Its client, which this program registered, is deleted at the provider first (and its tokens revoked)."), app.ProviderName)
	}
	f.pendingDelete = showChoice(f.win, fmt.Sprintf(lang.L("Delete %s"), app.ProviderName), &widget.Label{Text: msg, Wrapping: fyne.TextWrapWord}, lang.L("Cancel"), nil,
		dialogChoice{text: lang.L("Delete"), importance: widget.DangerImportance, run: func() { f.remove(app, false) }})
	fitDialog(f.pendingDelete, 480)
}

func (f *appForm) remove(app core.App, localOnly bool) {
	f.deleteButton.Disable()
	f.env.runAsync(func() {
		err := f.env.svc.Remove(context.Background(), app.ID, localOnly)
		fyne.Do(func() {
			f.deleteButton.Enable()
			if err == nil {
				f.orig = nil
				f.onRemoved()
				return
			}
			if localOnly {
				f.showStatus(fmt.Sprintf(lang.L("Not deleted: %s"), errorWords(err)), widget.DangerImportance) // beside Delete, as Save's outcomes are
				return
			}
			// core's way out (fail.ForgetLocally) is this dialog's own button, asked about
			// below the words; any other remedy gets its button too.
			rs := without(fail.Remedies(err), fail.ForgetLocally)
			text := fmt.Sprintf(lang.L("%s\n\nForget %s on this computer anyway? Its tokens stay valid at the provider until they expire."), errorWordsWith(err, rs), app.ProviderName)
			choices := append(f.dialogs.remedies.choices(rs),
				dialogChoice{text: forgetHereButton(), importance: widget.DangerImportance, run: func() { f.remove(app, true) }})
			f.pendingDelete = showChoice(f.win, lang.L("Revocation failed"), &widget.Label{Text: text, Wrapping: fyne.TextWrapWord}, lang.L("Cancel"), nil, choices...)
			fitDialog(f.pendingDelete, 480)
		})
	})
}

// focusField puts the focus on the widget of the field named by its JSON name (a remedy's
// field: fail.Remedy), opening its section and scrolling it into view. The redirect port,
// greyed out while any free port is accepted, is reached through its "any free port" check.
func (f *appForm) focusField(field string) {
	var o fyne.Focusable
	switch field {
	case core.FieldProviderName:
		o = f.name
	case core.FieldClientID:
		o = f.clientID
	case fieldInitialToken:
		o = f.initialToken
	case core.FieldClientSecret:
		o = f.secret
	case "redirect_port":
		o = f.redirectPort
		if f.anyPort.Checked {
			o = f.anyPort
		}
	case "redirect_host":
		o = f.redirectHost
	case "token_endpoint_auth_method":
		o = f.authMethod
	case "grant_type":
		o = f.grantType
	case "pkce":
		o = f.pkce
	case "scopes":
		o = f.scopeInput
	case "git_hosts":
		o = f.gitHostInput
	case core.FieldOnEvent:
		o = f.onEvent
	case core.FieldPublishingStatus:
		o = f.publishing
	default:
		e, ok := f.urls[field]
		if !ok {
			return // a field the form has no widget for: the tab is shown, nothing focused
		}
		o = e
	}
	switch fd, _ := core.FieldByJSON(field); fd.Section {
	case core.SectionEndpoints:
		f.endpoints.Open(0)
	case core.SectionAdvanced:
		f.endpoints.Open(1)
	}
	f.scroll.Content.Refresh() // lay out the section just opened before scrolling to it
	f.win.Canvas().Focus(o)
	f.scrollIntoView(o.(fyne.CanvasObject))
}

// discoverOrAsk is discovery from a remedy's button: the URL in the field is fetched, or,
// with none there yet, the field is focused and its line asks for one.
func (f *appForm) discoverOrAsk() {
	f.win.Canvas().Focus(f.discovery)
	f.onDiscover()
}

// showPreset shows the preset's advice above a new document.
func (f *appForm) showPreset(p core.Preset, regURL string) {
	f.presetInfo.RemoveAll()
	f.presetInfo.Add(presetCard(p, regURL))
	f.showStatus(presetSummary(p), widget.MediumImportance)
	f.win.Canvas().Focus(f.clientID)
}
