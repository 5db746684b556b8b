package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"connectedapps/core"
)

// inspect prints what is known of an app's tokens, never a token: the human text below or,
// with --json, core.Inspection as it is (its field names are the stable ones).
func (c *cmdCtx) inspect(args []string) error {
	fs := newFlags("inspect")
	asJSON := fs.Bool("json", false, "JSON output")
	account := accountFlag(fs)
	name, err := parseName(fs, args)
	if err != nil {
		return err
	}
	in, err := c.svc.InspectFor(c.ctx, name, account.value)
	if err != nil {
		return err
	}
	if *asJSON {
		return c.printJSON(in)
	}
	writeInspection(c.env.Stdout, in, c.svc.Now())
	return nil
}

// inspectTimeLayout is a moment in the person's local time.
const inspectTimeLayout = "2006-01-02 15:04:05 MST"

// whenText is a moment as local time and how far it is from now: "… (in 42 min)", "… (3 h ago)".
func whenText(t time.Time, now time.Time) string {
	return t.Local().Format(inspectTimeLayout) + " (" + relativeText(t.Sub(now)) + ")"
}

// relativeText rounds towards now, so "in 42 min" is never later than the truth.
func relativeText(d time.Duration) string {
	ago := d < 0
	if ago {
		d = -d
	}
	var n string
	switch {
	case d < time.Minute:
		return "now"
	case d < time.Hour:
		n = fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 48*time.Hour:
		n = fmt.Sprintf("%d h", int(d/time.Hour))
		if m := int(d % time.Hour / time.Minute); m != 0 {
			n += fmt.Sprintf(" %d min", m)
		}
	default:
		n = fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	}
	if ago {
		return n + " ago"
	}
	return "in " + n
}

func writeInspection(w io.Writer, in *core.Inspection, now time.Time) {
	if in.Account != "" {
		fmt.Fprintf(w, "%s, account %s\n", in.App, in.Account)
	} else {
		fmt.Fprintf(w, "%s\n", in.App)
	}
	writeTokenFacts(w, "Access token", &in.Access, now)
	if in.ID != nil {
		writeTokenFacts(w, "ID token", in.ID, now)
	} else {
		fmt.Fprintln(w, "ID token: none")
	}
	if h := in.AtHash; h != nil {
		switch {
		case h.Matches:
			fmt.Fprintln(w, "  at_hash: matches the access token held")
		case h.Present:
			fmt.Fprintf(w, "  at_hash: not checked or wrong: %s\n", h.Reason)
		default:
			fmt.Fprintf(w, "  at_hash: none (%s)\n", strings.TrimPrefix(h.Reason, "the ID token has no at_hash "))
		}
	}
	s := in.Scopes
	fmt.Fprintf(w, "Scopes requested: %s\n", listOrNone(s.Requested))
	fmt.Fprintf(w, "Scopes granted: %s\n", listOrNone(s.Granted))
	if len(s.Missing) > 0 {
		fmt.Fprintf(w, "  not granted: %s\n", strings.Join(s.Missing, " "))
	}
	if len(s.Extra) > 0 {
		fmt.Fprintf(w, "  granted beyond the request: %s\n", strings.Join(s.Extra, " "))
	}
	r := in.Refresh
	switch {
	case !r.Held:
		fmt.Fprintln(w, "Refresh token: none")
	case r.Since != nil:
		fmt.Fprintf(w, "Refresh token: held, since the sign-in at %s\n", whenText(*r.Since, now))
	default:
		fmt.Fprintln(w, "Refresh token: held")
	}
	if r.Held && r.Issued != nil {
		fmt.Fprintf(w, "  this refresh token issued: %s\n", whenText(*r.Issued, now))
	}
	if r.Held && r.LastRefreshed != nil {
		fmt.Fprintf(w, "  last refreshed: %s\n", whenText(*r.LastRefreshed, now))
	}
	for _, note := range r.Provider {
		fmt.Fprintf(w, "  the provider: %s\n", note)
	}
}

func listOrNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, " ")
}

func writeTokenFacts(w io.Writer, what string, f *core.TokenFacts, now time.Time) {
	kind := map[string]string{core.KindJWT: "JWT", core.KindJWE: "encrypted (JWE)", core.KindOpaque: "opaque"}[f.Kind]
	expiry := "expiry unknown"
	if f.ExpiresAt != nil {
		verb := "expires"
		if !f.ExpiresAt.After(now) {
			verb = "expired"
		}
		expiry = verb + " " + whenText(*f.ExpiresAt, now)
	}
	fmt.Fprintf(w, "%s: %s, %d characters, %s\n", what, kind, f.Length, expiry)
	j := f.JWT
	if j == nil {
		return
	}
	h := j.Header
	header := "alg " + h.Alg
	if h.Kid != "" {
		header += ", kid " + h.Kid
	}
	if h.Typ != "" {
		header += ", typ " + h.Typ
	}
	fmt.Fprintf(w, "  header: %s\n", header)
	fmt.Fprintf(w, "  signature: %s\n", signatureText(j.Signature))
	fmt.Fprintln(w, "  claims:")
	width := 0
	for _, c := range j.Claims {
		width = max(width, len(c.Name))
	}
	for _, c := range j.Claims {
		v := c.ValueText()
		if c.Time != nil {
			v = whenText(*c.Time, now)
		}
		fmt.Fprintf(w, "    %-*s  %s\n", width, core.CleanText(c.Name), v)
	}
}

// signatureText says what checked the signature, or that nothing did and why.
func signatureText(s core.JWTSignature) string {
	if !s.Verified {
		return "not verified: " + s.Reason
	}
	key := "a key"
	if s.Kid != "" {
		key = "the key " + s.Kid
	}
	out := "verified with " + key + " of the JWKS at " + s.JWKSURI
	if s.Checked != "" {
		out += " (" + s.Checked + " checked too)"
	}
	return out
}
