package gui

import (
	"context"
	"errors"
	"fmt"
	"fyne.io/fyne/v2/lang"
	"net/url"
	"strings"

	qrcode "github.com/skip2/go-qrcode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"connectedapps/core"
	"connectedapps/core/fail"
)

// connectDialog runs one sign-in: core opens the browser and waits on the loopback
// redirect (or a pasted one) off the UI goroutine; the dialog shows the link, the wait and
// the outcome, and offers Try again after a failure.
type connectDialog struct {
	env     *env
	dialogs *windowDialogs
	app     core.App
	// onChanged runs once a sign-in was stored; onConnected once the dialog says it worked.
	onChanged, onConnected func()

	// Touched only on the UI goroutine.
	attempt int                // answers from an earlier attempt are dropped
	cancel  context.CancelFunc // ends the running attempt
	pasted  chan string        // redirect URLs pasted by the person, for the running attempt
	link    string
	code    string // the device flow's user code

	dialog *dialog.CustomDialog

	waiting     *fyne.Container
	waitText    *widget.Label
	progress    *widget.ProgressBarInfinite
	browserNote *widget.Label
	codeBox     *fyne.Container // the device flow: the code to enter
	codeIntro   *widget.Label
	codeLabel   *widget.Label
	qr          *canvas.Image // verification_uri_complete, for a phone to scan
	copyCode    *widget.Button
	linkBox     *fyne.Container
	linkLabel   *widget.Label
	copyLink    *widget.Button
	openLink    *widget.Button
	linkNote    *widget.Label
	pasteBox    *fyne.Container // the authorization code flow: a redirect from another machine
	pasteEntry  *dialogEntry
	usePasted   *widget.Button
	pasteError  *widget.Label

	done       *fyne.Container
	outcome    *widget.Label // "Connected as …" or "Could not connect to …"
	detail     *widget.Label // expiry, or core's own words
	nextStep   *widget.Label
	cancelBtn  *dialogButton
	tryAgain   *dialogButton
	closeBtn   *dialogButton
	retryShown bool
}

func newConnectDialog(e *env, dialogs *windowDialogs, app core.App, onChanged, onConnected func()) *connectDialog {
	return &connectDialog{env: e, dialogs: dialogs, app: app, onChanged: onChanged, onConnected: onConnected}
}

// start shows the dialog and begins a sign-in.
func (c *connectDialog) start() {
	if c.dialog == nil {
		c.buildUI()
	}
	c.dialogs.keep(c.dialog)
	showModal(c.dialogs.parent, c.dialog, c.onEnter, c.onEscape)
	c.begin()
}

// fit sizes the dialog to what it shows now.
func (c *connectDialog) fit() { fitDialog(c.dialog, 600) }

func (c *connectDialog) buildUI() {
	wrap := func(l *widget.Label) *widget.Label { l.Wrapping = fyne.TextWrapWord; return l }
	c.waitText = wrap(&widget.Label{TextStyle: fyne.TextStyle{Bold: true}})
	c.progress = widget.NewProgressBarInfinite()
	c.browserNote = wrap(&widget.Label{Importance: widget.WarningImportance})

	c.codeIntro = wrap(&widget.Label{})
	c.codeLabel = &widget.Label{TextStyle: fyne.TextStyle{Monospace: true}, SizeName: theme.SizeNameHeadingText, Selectable: true}
	c.copyCode = &widget.Button{Text: lang.L("Copy code"), Icon: theme.ContentCopyIcon(), OnTapped: c.onCopyCode}
	// A phone can scan verification_uri_complete instead of typing the link and the code.
	c.qr = &canvas.Image{FillMode: canvas.ImageFillContain, ScaleMode: canvas.ImageScalePixels}
	c.qr.SetMinSize(fyne.NewSize(180, 180))
	c.qr.Hide()
	c.codeBox = container.NewVBox(c.codeIntro, container.NewHBox(c.codeLabel, container.NewCenter(c.copyCode)), container.NewCenter(c.qr))

	c.linkLabel = &widget.Label{Truncation: fyne.TextTruncateEllipsis}
	c.copyLink = &widget.Button{Text: lang.L("Copy link"), Icon: theme.ContentCopyIcon(), OnTapped: c.onCopyLink}
	c.openLink = &widget.Button{Text: lang.L("Open in browser"), Icon: theme.ComputerIcon(), OnTapped: c.onOpenLink}
	c.linkNote = &widget.Label{SizeName: theme.SizeNameCaptionText}
	c.linkBox = container.NewVBox(
		&widget.Label{Text: lang.L("Sign-in link"), TextStyle: fyne.TextStyle{Bold: true}},
		container.NewBorder(nil, nil, nil, container.NewHBox(c.copyLink, c.openLink), c.linkLabel),
		c.linkNote,
	)

	example := "http://" + c.app.RedirectHost + ":PORT" + c.app.Callback() + "?code=…"
	if c.app.RedirectPort != 0 {
		example = c.app.RedirectURIForPort(c.app.RedirectPort) + "?code=…"
	}
	c.pasteEntry = newDialogEntry() // Escape in it cancels, as anywhere in the dialog
	c.pasteEntry.PlaceHolder, c.pasteEntry.OnSubmitted = example, func(string) { c.onUsePasted() }
	c.pasteEntry.onEscape = c.onEscape
	c.usePasted = &widget.Button{Text: lang.L("Use this URL"), OnTapped: c.onUsePasted}
	c.pasteError = wrap(&widget.Label{Importance: widget.DangerImportance})
	c.pasteBox = container.NewVBox(
		wrap(&widget.Label{Text: lang.L("Signing in with a browser on another computer? Open the link there; after sign-in, paste the address the browser ends up at (it fails to load there, which is expected):")}),
		container.NewBorder(nil, nil, nil, c.usePasted, c.pasteEntry),
		c.pasteError,
	)
	c.waiting = container.NewVBox(c.waitText, c.progress, c.browserNote, c.codeBox, c.linkBox, c.pasteBox)

	c.outcome = wrap(&widget.Label{TextStyle: fyne.TextStyle{Bold: true}})
	c.detail = wrap(&widget.Label{Selectable: true})
	c.nextStep = wrap(&widget.Label{})
	c.done = container.NewVBox(c.outcome, c.detail, c.nextStep)

	c.cancelBtn = newDialogButton(lang.L("Cancel"), theme.CancelIcon(), widget.MediumImportance, c.onCancel)
	c.tryAgain = newDialogButton(lang.L("Try again"), theme.ViewRefreshIcon(), widget.HighImportance, c.begin)
	c.closeBtn = newDialogButton(lang.L("Close"), nil, widget.MediumImportance, c.onClose)
	for _, b := range []*dialogButton{c.cancelBtn, c.tryAgain, c.closeBtn} {
		b.onEscape = c.onEscape
	}
	c.dialog = dialog.NewCustomWithoutButtons(fmt.Sprintf(lang.L("Connect to %s"), c.app.ProviderName), container.NewStack(c.waiting, c.done), c.dialogs.parent)
}

// begin starts one attempt, off the UI goroutine.
func (c *connectDialog) begin() {
	c.attempt++
	attempt := c.attempt
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	// Buffered, so "Use this URL" never blocks the UI goroutine; core reads it while it waits.
	pasted := make(chan string, 1)
	c.pasted = pasted
	c.link = ""
	c.showWaiting()

	svc := c.env.svc
	id := c.app.ID
	opts := core.ConnectOptions{
		Pasted: pasted,
		OnAuthURL: func(link string, browserErr error) {
			fyne.Do(func() { c.showLink(attempt, link, browserErr) })
		},
		OnPasteError: func(err error) {
			fyne.Do(func() { c.showPasteError(attempt, err) })
		},
		OnDeviceCode: func(code core.DeviceCode) {
			fyne.Do(func() { c.showDeviceCode(attempt, code) })
		},
	}
	c.env.runAsync(func() {
		res, err := svc.Connect(ctx, id, opts)
		cancel()
		fyne.Do(func() { c.finish(attempt, res, err) })
	})
}

// showWaiting shows what the app's grant needs while core waits: the link and a paste field
// for a browser sign-in, the code for the device flow, nothing for client credentials.
func (c *connectDialog) showWaiting() {
	c.done.Hide()
	c.browserNote.Hide()
	c.codeBox.Hide()
	c.linkBox.Hide()
	c.pasteBox.Hide()
	c.code = ""
	c.linkLabel.SetText(lang.L("Preparing the sign-in link…"))
	c.copyLink.Disable()
	c.openLink.Disable()
	c.linkNote.Hide()
	switch c.app.GrantType {
	case core.GrantClientCredentials:
		c.waitText.SetText(fmt.Sprintf(lang.L("Asking %s for a token…"), c.app.ProviderName))
	case core.GrantDeviceCode:
		c.waitText.SetText(fmt.Sprintf(lang.L("Asking %s for a sign-in code…"), c.app.ProviderName))
	default:
		c.waitText.SetText(fmt.Sprintf(lang.L("Waiting for you to sign in at %s…"), c.app.ProviderName))
		c.linkBox.Show()
		c.pasteEntry.SetText("")
		c.pasteError.Hide()
		c.pasteBox.Show()
	}
	c.waiting.Show()
	c.progress.Start()
	c.dialog.SetButtons([]fyne.CanvasObject{c.cancelBtn})
	c.retryShown = false
	c.fit()
}

// showDeviceCode shows the code to enter and where, once core has it.
func (c *connectDialog) showDeviceCode(attempt int, code core.DeviceCode) {
	if attempt != c.attempt {
		return
	}
	c.waitText.SetText(fmt.Sprintf(lang.L("Waiting for you to approve the sign-in at %s…"), c.app.ProviderName))
	c.code = code.UserCode
	c.codeLabel.SetText(code.UserCode)
	where := code.VerificationURI
	if where == "" {
		where = code.VerificationURIComplete
	}
	if code.BrowserOpened {
		c.codeIntro.SetText(fmt.Sprintf(lang.L("Your browser opened %s. Check that it shows this code, then approve:"), where))
	} else {
		c.codeIntro.SetText(fmt.Sprintf(lang.L("On any device, open %s and enter this code:"), where))
	}
	c.showQR(code.VerificationURIComplete)
	c.codeBox.Show()
	link := code.VerificationURIComplete
	if link == "" {
		link = code.VerificationURI
	}
	c.showLink(attempt, link, code.BrowserErr)
	c.linkBox.Show()
	c.fit()
}

func (c *connectDialog) onCopyCode() {
	if c.code == "" {
		return
	}
	c.env.app.Clipboard().SetContent(c.code)
	c.linkNote.SetText(lang.L("Code copied."))
	c.linkNote.Show()
}

func (c *connectDialog) showLink(attempt int, link string, browserErr error) {
	if attempt != c.attempt {
		return
	}
	c.link = link
	c.linkLabel.SetText(link)
	c.copyLink.Enable()
	c.openLink.Enable()
	if browserErr != nil {
		c.browserNote.SetText(fmt.Sprintf(lang.L("The browser could not be opened (%s). Open the link below yourself: Copy link, then paste it into a browser."), errorWords(browserErr)))
		c.browserNote.Show()
	} else {
		c.browserNote.Hide()
	}
	c.fit()
}

func (c *connectDialog) showPasteError(attempt int, err error) {
	if attempt != c.attempt {
		return
	}
	c.pasteError.SetText(errorWords(err))
	c.pasteError.Show()
	c.fit()
}

func (c *connectDialog) onCopyLink() {
	if c.link == "" {
		return
	}
	// The link holds no secret (the PKCE verifier never leaves core), so it is not cleared.
	c.env.app.Clipboard().SetContent(c.link)
	c.linkNote.SetText(lang.L("Link copied."))
	c.linkNote.Show()
}

func (c *connectDialog) onOpenLink() {
	u, err := url.Parse(c.link)
	if c.link == "" || err != nil {
		return
	}
	browser, attempt := c.env.browser, c.attempt
	c.env.runAsync(func() {
		err := browser.OpenURL(u)
		fyne.Do(func() {
			if err != nil {
				c.showLink(attempt, c.link, err)
			}
		})
	})
}

func (c *connectDialog) onUsePasted() {
	raw := strings.TrimSpace(c.pasteEntry.Text)
	if raw == "" {
		c.showPasteError(c.attempt, errors.New(lang.L("paste the whole address the browser shows after sign-in first")))
		return
	}
	select {
	case c.pasted <- raw:
		c.pasteError.Hide()
	default:
		c.showPasteError(c.attempt, errors.New(lang.L("the previous address is still being checked: wait a moment and try again")))
	}
}

func (c *connectDialog) onCancel() {
	c.attempt++ // the canceled attempt's answer is of no interest any more
	if c.cancel != nil {
		c.cancel()
	}
	c.progress.Stop()
	c.dialog.Hide()
}

// onEnter is the dialog's default: while it waits there is none (the paste field has its
// own Enter); after a failure it is Try again, after a success Close.
func (c *connectDialog) onEnter() {
	switch {
	case !c.done.Visible():
	case c.retryShown:
		c.begin()
	default:
		c.onClose()
	}
}

// onEscape cancels the sign-in while it waits and closes the dialog once it is over.
func (c *connectDialog) onEscape() {
	if c.done.Visible() {
		c.onClose()
		return
	}
	c.onCancel()
}

func (c *connectDialog) onClose() {
	c.progress.Stop()
	c.dialog.Hide()
}

func (c *connectDialog) finish(attempt int, res *core.ConnectResult, err error) {
	if err == nil {
		// Even a sign-in canceled a moment too late is stored: show it in the window.
		c.onChanged()
	}
	if attempt != c.attempt {
		return
	}
	c.progress.Stop()
	c.waiting.Hide()
	c.done.Show()
	if err != nil {
		c.outcome.Text, c.outcome.Importance = fmt.Sprintf(lang.L("Could not connect to %s"), c.app.ProviderName), widget.DangerImportance
		c.outcome.Refresh()
		c.detail.SetText(errorWords(err))
		c.nextStep.SetText(connectNextStep(&c.app, err))
		// A step on the Registration tab is said above, with its button here: what is left
		// is to come back.
		remedies := c.dialogs.remedies.choices(without(fail.Remedies(err), fail.Reconnect))
		if len(remedies) > 0 && (remedies[0].text == openRegistrationButton() || remedies[0].text == discoverButton()) {
			c.nextStep.SetText(lang.L("Once that is done, press Try again."))
		}
		buttons := []fyne.CanvasObject{c.closeBtn}
		for _, r := range remedies {
			if r.text == connectAgainButton() {
				continue // Try again is that
			}
			b := newDialogButton(r.text, nil, widget.MediumImportance, func() { c.onClose(); r.run() })
			b.onEscape = c.onEscape
			buttons = append(buttons, b)
		}
		c.dialog.SetButtons(append(buttons, c.tryAgain))
		c.retryShown = true
		c.fit()
		return
	}
	outcome := fmt.Sprintf(lang.L("Connected to %s"), c.app.ProviderName) // no openid: the provider does not say who
	if who := res.Identity.Display(); who != "" {
		outcome = fmt.Sprintf(lang.L("Connected as %s"), who)
	}
	c.outcome.Text, c.outcome.Importance = outcome, widget.SuccessImportance
	c.outcome.Refresh()
	if ts := res.Tokens; ts != nil && ts.Expiry != nil {
		c.detail.SetText(fmt.Sprintf(lang.L("The access token %s (at %s)."), countdownText(ts.Expiry, c.env.svc.Clock()), ts.Expiry.Local().Format(clockLayout)))
	} else {
		c.detail.SetText(lang.L("The provider did not say when the access token expires."))
	}
	switch {
	case !c.app.GrantType.SignsIn():
		c.nextStep.SetText(lang.L("Nobody signs in with client credentials: a new token is fetched when this one runs out. Copy it from the Connection tab."))
	case res.Tokens != nil && res.Tokens.RefreshToken != "":
		c.nextStep.SetText(lang.L("It is renewed before it runs out. Copy it from the Connection tab."))
	default:
		c.nextStep.SetText(lang.L("The provider gave no refresh token: when the access token runs out, connect again. Copy it from the Connection tab."))
	}
	c.nextStep.Show()
	c.dialog.SetButtons([]fyne.CanvasObject{c.closeBtn})
	c.fit()
	c.onConnected()
	c.dialogs.parent.Canvas().Focus(c.closeBtn) // Space or Enter closes it from the keyboard
}

// connectNextStep is what to do about a failed sign-in, in the window's terms (core's own
// advice names command-line flags).
func connectNextStep(app *core.App, err error) string {
	var pe *core.ProviderError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "access_denied":
			return fmt.Sprintf(lang.L("Press Try again and approve the request at %s."), app.ProviderName)
		case "invalid_request", "redirect_uri_mismatch":
			return fmt.Sprintf(lang.L("Check that %s has exactly this redirect URI registered: %s (see the Registration tab), then press Try again."), app.ProviderName, app.RedirectURI())
		case "invalid_scope":
			return fmt.Sprintf(lang.L("Check the scopes on the Registration tab against what %s offers, save, then press Try again."), app.ProviderName)
		case "invalid_client", "unauthorized_client":
			return fmt.Sprintf(lang.L("Check the client ID and secret on the Registration tab, and the client's settings at %s."), app.ProviderName)
		case "expired_token":
			return lang.L("The code ran out before it was approved: press Try again for a new one.")
		}
	}
	switch {
	case errors.Is(err, core.ErrPortInUse):
		return lang.L("Close the program using that port, or choose another redirect port under Advanced on the Registration tab (and register the new redirect URI with the provider); then press Try again.")
	case errors.Is(err, core.ErrTimeout):
		return lang.L("Press Try again when you are ready to sign in.")
	case errors.Is(err, core.ErrBusy):
		return lang.L("Finish or cancel the other sign-in first, then press Try again.")
	case errors.Is(err, core.ErrClientRejected):
		return fmt.Sprintf(lang.L("Check the client ID and secret on the Registration tab, and the client's settings at %s."), app.ProviderName)
	case errors.Is(err, core.ErrKeyringUnavailable):
		return lang.L("Unlock your keyring (Settings shows which secret store is in use), then press Try again.")
	case errors.Is(err, core.ErrInvalid):
		return lang.L("Correct it on the Registration tab, save, then press Try again.")
	case errors.Is(err, core.ErrTransient):
		return lang.L("Check the network connection, then press Try again.")
	case errors.Is(err, core.ErrCanceled):
		return lang.L("Press Try again to start over.")
	}
	return lang.L("Press Try again. If it keeps failing, check the app on the Registration tab.")
}

// showQR shows link as a QR code, or hides the code when there is no complete link (a link
// without the user code would only lead half-way).
func (c *connectDialog) showQR(link string) {
	if link == "" {
		c.qr.Hide()
		return
	}
	png, err := qrcode.Encode(link, qrcode.Medium, 360)
	if err != nil { // a link too long for a QR code: the link and code above still work
		c.qr.Hide()
		return
	}
	c.qr.Resource = fyne.NewStaticResource("sign-in-qr.png", png)
	c.qr.Refresh()
	c.qr.Show()
}
