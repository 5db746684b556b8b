package gui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"connectedapps/core"
)

// inspectView is the Inspect dialog's content: what core.Inspection tells of the selected
// app's tokens, in the window's words. It shows no token (the Connection tab's Reveal is the
// one place a token is shown), only what was read from one.
type inspectView struct {
	in  *core.Inspection
	now time.Time

	access, id, scopes, refresh *fyne.Container // one form each, for tests
}

func newInspectView(in *core.Inspection, now time.Time) *inspectView {
	return &inspectView{in: in, now: now}
}

func (v *inspectView) content() fyne.CanvasObject {
	in := v.in
	v.access = v.tokenForm(&in.Access, nil)
	sections := []fyne.CanvasObject{inspectHeading(lang.L("Access token")), v.access}
	if in.ID != nil {
		v.id = v.tokenForm(in.ID, in.AtHash)
	} else {
		v.id = container.New(layout.NewFormLayout(), inspectKey(lang.L("ID token")), inspectValue(lang.L("none: the provider gave no ID token")))
	}
	sections = append(sections, widget.NewSeparator(), inspectHeading(lang.L("ID token")), v.id)

	s := in.Scopes
	v.scopes = container.New(layout.NewFormLayout(),
		inspectKey(lang.L("Requested scopes")), inspectValue(scopeList(s.Requested, lang.L("none"))),
		inspectKey(lang.L("Granted scopes")), inspectValue(scopeList(s.Granted, lang.L("none reported"))))
	if len(s.Missing) > 0 {
		v.scopes.Add(inspectKey(lang.L("Not granted")))
		v.scopes.Add(&widget.Label{Text: strings.Join(s.Missing, " "), Importance: widget.WarningImportance, Wrapping: fyne.TextWrapWord})
	}
	if len(s.Extra) > 0 {
		v.scopes.Add(inspectKey(lang.L("Granted beyond the request")))
		v.scopes.Add(inspectValue(strings.Join(s.Extra, " ")))
	}
	sections = append(sections, widget.NewSeparator(), inspectHeading(lang.L("Scopes")), v.scopes)

	r := in.Refresh
	held := lang.L("none: when the access token runs out, connect again")
	if r.Held {
		held = lang.L("held")
	}
	v.refresh = container.New(layout.NewFormLayout(), inspectKey(lang.L("Refresh token")), inspectValue(held))
	if r.Held && r.Since != nil {
		v.refresh.Add(inspectKey(lang.L("Held since the sign-in")))
		v.refresh.Add(inspectValue(v.when(*r.Since)))
	}
	if r.Held && r.Issued != nil {
		v.refresh.Add(inspectKey(lang.L("This refresh token issued")))
		v.refresh.Add(inspectValue(v.when(*r.Issued)))
	}
	if r.Held && r.LastRefreshed != nil {
		v.refresh.Add(inspectKey(lang.L("Last refreshed")))
		v.refresh.Add(inspectValue(v.when(*r.LastRefreshed)))
	}
	if len(r.Provider) > 0 {
		v.refresh.Add(inspectKey(lang.L("The provider")))
		v.refresh.Add(inspectValue(strings.Join(r.Provider, "\n")))
	}
	sections = append(sections, widget.NewSeparator(), inspectHeading(lang.L("Refresh token")), v.refresh)
	return container.NewVBox(sections...)
}

func (v *inspectView) tokenForm(f *core.TokenFacts, atHash *core.AtHash) *fyne.Container {
	kind := map[string]string{core.KindJWT: lang.L("JWT"), core.KindJWE: lang.L("encrypted (JWE): only its addressee can read it"),
		core.KindOpaque: lang.L("opaque: only the provider can read it")}[f.Kind]
	expiry := lang.L("expiry unknown")
	if f.ExpiresAt != nil {
		expiry = v.when(*f.ExpiresAt)
	}
	form := container.New(layout.NewFormLayout(),
		inspectKey(lang.L("Kind")), inspectValue(kind),
		inspectKey(lang.L("Length")), inspectValue(lang.N("{{.Count}} characters", f.Length, map[string]int{"Count": f.Length})),
		inspectKey(lang.L("Expires")), inspectValue(expiry))
	if j := f.JWT; j != nil {
		h := fmt.Sprintf(lang.L("alg %s"), j.Header.Alg)
		if j.Header.Kid != "" {
			h += " · " + fmt.Sprintf(lang.L("kid %s"), j.Header.Kid)
		}
		if j.Header.Typ != "" {
			h += " · " + fmt.Sprintf(lang.L("typ %s"), j.Header.Typ)
		}
		form.Add(inspectKey(lang.L("Header")))
		form.Add(inspectValue(h))
		text, importance := signatureWords(j.Signature)
		form.Add(inspectKey(lang.L("Signature")))
		form.Add(&widget.Label{Text: text, Importance: importance, Wrapping: fyne.TextWrapWord, Selectable: true})
	}
	if atHash != nil {
		text, importance := atHashWords(atHash)
		form.Add(inspectKey(lang.L("at_hash")))
		form.Add(&widget.Label{Text: text, Importance: importance, Wrapping: fyne.TextWrapWord})
	}
	if j := f.JWT; j != nil {
		claims := container.New(layout.NewFormLayout())
		for _, c := range j.Claims {
			value := c.ValueText()
			if c.Time != nil {
				value = v.when(*c.Time)
			}
			claims.Add(&widget.Label{Text: core.CleanText(c.Name), TextStyle: fyne.TextStyle{Monospace: true}})
			claims.Add(&widget.Label{Text: value, Wrapping: fyne.TextWrapBreak, Selectable: true})
		}
		form.Add(inspectKey(lang.L("Claims")))
		form.Add(claims)
	}
	return form
}

// when is a moment in local time and how far it is from now: "4 Dec 2026, 15:04 (in 42 min)".
func (v *inspectView) when(t time.Time) string {
	rel := fmt.Sprintf(lang.L("in %s"), humanDuration(t.Sub(v.now)))
	if !t.After(v.now) {
		rel = fmt.Sprintf(lang.L("%s ago"), humanDuration(v.now.Sub(t)))
	}
	return fmt.Sprintf(lang.L("%s (%s)"), t.Local().Format(dateTimeLayout()), rel)
}

// signatureWords says what verified a JWT's signature, or that nothing did and why.
func signatureWords(s core.JWTSignature) (string, widget.Importance) {
	if s.Verified {
		text := fmt.Sprintf(lang.L("verified with a key of %s"), s.JWKSURI)
		if s.Kid != "" {
			text = fmt.Sprintf(lang.L("verified with the key %s of %s"), s.Kid, s.JWKSURI)
		}
		if s.Checked != "" {
			text += "; " + lang.L("its issuer and audience are this app's")
		}
		return text, widget.SuccessImportance
	}
	var why string
	switch s.Why {
	case core.WhyUnsigned:
		why = lang.L("it is unsigned (alg none)")
	case core.WhySharedSecret:
		why = lang.L("it is signed with a secret shared with the provider, not with a key a JWKS publishes")
	case core.WhyAlgorithm:
		why = lang.L("it is signed with an algorithm this app does not verify")
	case core.WhyNoJWKSURI:
		why = lang.L("this app has no JWKS URI: add it under Endpoints on the Registration tab")
	case core.WhyNoIssuer:
		why = lang.L("this app has no issuer to check it against: add it under Endpoints on the Registration tab")
	case core.WhyNoKey:
		why = fmt.Sprintf(lang.L("no key of %s verifies its signature"), s.JWKSURI)
	default: // refused: core's sentence names which check failed
		why = s.Reason
	}
	return fmt.Sprintf(lang.L("not verified: %s"), why), widget.DangerImportance
}

func atHashWords(h *core.AtHash) (string, widget.Importance) {
	switch {
	case h.Matches:
		return lang.L("matches the access token held"), widget.SuccessImportance
	case h.Why == core.AtHashAbsent:
		return lang.L("none (it is optional for this sign-in)"), widget.MediumImportance
	case h.Why == core.AtHashBeforeRefresh:
		return lang.L("does not match the access token held: the ID token is from before the last refresh, which renewed only the access token"), widget.WarningImportance
	case h.Why == core.AtHashMismatch:
		return lang.L("does not match the access token held"), widget.DangerImportance
	}
	return lang.L("could not be checked"), widget.WarningImportance
}

func inspectHeading(s string) *widget.Label {
	return &widget.Label{Text: s, TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameSubHeadingText}
}

func inspectKey(s string) *widget.Label {
	return &widget.Label{Text: s, TextStyle: fyne.TextStyle{Bold: true}}
}

func inspectValue(s string) *widget.Label {
	return &widget.Label{Text: s, Wrapping: fyne.TextWrapWord, Selectable: true}
}
