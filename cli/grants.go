package cli

import (
	"flag"
	"fmt"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"connectedapps/core"
)

// connectDevice runs the device flow, printing the page and the code on lines of their own
// so a person can read them off a terminal over SSH and a script can pick them out.
func (c *cmdCtx) connectDevice(name string, timeout time.Duration, noBrowser bool) error {
	w := c.env.Stdout
	// Over SSH there is no desktop to show a page on, and xdg-open would start a text browser
	// in this very terminal: the page and the code are printed, which is what this flow is for.
	if runtime.GOOS != "darwin" && runtime.GOOS != "windows" &&
		c.env.Getenv("DISPLAY") == "" && c.env.Getenv("WAYLAND_DISPLAY") == "" && c.env.Getenv("BROWSER") == "" {
		noBrowser = true
	}
	opts := core.DeviceOptions{Timeout: timeout, NoBrowser: noBrowser}
	opts.OnCode = func(code core.DeviceCode) {
		fmt.Fprintf(w, "To sign in, open this page on any device with a browser:\n\n  %s\n\nand enter the code:\n\n  %s\n\n", code.VerificationURI, code.UserCode)
		switch {
		case code.BrowserOpened:
			fmt.Fprintln(w, "Your browser is opening at the page with the code filled in.")
		case code.VerificationURIComplete != "":
			if code.BrowserErr != nil {
				fmt.Fprintf(w, "Could not open a browser (%v).\n", code.BrowserErr)
			}
			fmt.Fprintf(w, "This link has the code in it already:\n\n  %s\n\n", code.VerificationURIComplete)
		}
		until := code.ExpiresAt.UTC().Format(time.RFC3339)
		if timeout > 0 && c.svc.Now().Add(timeout).Before(code.ExpiresAt) {
			until = c.svc.Now().Add(timeout).UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(w, "Waiting for the approval until %s (Ctrl+C cancels)...\n", until)
	}
	res, err := c.svc.ConnectDevice(c.ctx, name, opts)
	if err != nil {
		return err
	}
	c.reportConnected(res)
	return nil
}

// connectClientCredentials fetches the first token of a client credentials app.
func (c *cmdCtx) connectClientCredentials(name string) error {
	res, err := c.svc.Connect(c.ctx, name, core.ConnectOptions{})
	if err != nil {
		return err
	}
	w := c.env.Stdout
	fmt.Fprintf(w, "Connected %s with its client credentials (nobody signs in).\n", res.App.ProviderName)
	fmt.Fprintf(w, "Access token expires: %s. `connectedapps token %s` fetches a new one when it runs out.\n",
		describeExpiry(&res.App, c.svc.Now()), quoteName(res.App.ProviderName))
	if missing := missingScopes(res.App.Scopes, res.Tokens.Scopes); len(missing) > 0 {
		fmt.Fprintf(w, "Note: the provider did not grant: %s\n", strings.Join(missing, " "))
	}
	return nil
}

// presetFlags are add's --preset and the values a preset may need.
type presetFlags struct {
	preset                      stringFlag
	tenant, realm, site, domain stringFlag
}

func (p *presetFlags) register(fs *flag.FlagSet) {
	fs.Var(&p.preset, "preset", "fill the app from a provider preset (see `connectedapps presets`)")
	fs.Var(&p.tenant, "tenant", "the preset's tenant (Microsoft)")
	fs.Var(&p.realm, "realm", "the preset's realm (Keycloak)")
	fs.Var(&p.site, "site", "the preset's site or server URL (Frappe, Keycloak, GitLab)")
	fs.Var(&p.domain, "domain", "the preset's domain (Okta, Auth0)")
}

// apply fills app from the preset, if one was named; it returns the preset and the page
// where the client is registered.
func (p *presetFlags) apply(app *core.App) (*core.Preset, string, error) {
	values := map[string]string{}
	for name, f := range map[string]*stringFlag{core.FieldTenant: &p.tenant, core.FieldRealm: &p.realm, core.FieldSite: &p.site, core.FieldDomain: &p.domain} {
		if f.set {
			values[name] = f.value
		}
	}
	if !p.preset.set {
		for name := range values {
			return nil, "", usagef("--%s goes with --preset (see `connectedapps presets`)", name)
		}
		return nil, "", nil
	}
	preset, err := core.PresetByID(strings.TrimSpace(p.preset.value))
	if err != nil {
		return nil, "", err
	}
	registration, err := preset.Apply(app, values)
	if err != nil {
		return nil, "", err
	}
	return &preset, registration, nil
}

// describePreset prints where to register the client and the provider's quirks, while the
// person is still setting up.
func (c *cmdCtx) describePreset(p *core.Preset, registration string) {
	w := c.env.Stdout
	if registration != "" {
		fmt.Fprintf(w, "Register the client at: %s\n", registration)
	}
	if p.Registration != "" {
		fmt.Fprintf(w, "  %s\n", p.Registration)
	}
	if p.RedirectAdvice != "" {
		fmt.Fprintf(w, "  %s\n", p.RedirectAdvice)
	}
	c.describeQuirks(p)
}

// describeQuirks prints the provider's quirks.
func (c *cmdCtx) describeQuirks(p *core.Preset) {
	for _, q := range p.Quirks {
		fmt.Fprintf(c.env.Stdout, "%s: %s\n", p.Name, q)
	}
}

// presetNeeds says which flags a preset takes, for the listing.
func presetNeeds(p core.Preset) string {
	var parts []string
	for _, f := range p.Fields {
		part := "--" + f.Name
		if f.Default != "" {
			part += " (default " + f.Default + ")"
		}
		parts = append(parts, part)
	}
	if p.Generic {
		if p.ID == "generic-oidc" {
			parts = append(parts, "--discovery URL")
		} else {
			parts = append(parts, "--auth-url U --token-url U")
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}

func (c *cmdCtx) presets(args []string) error {
	fs := newFlags("presets")
	asJSON := fs.Bool("json", false, "JSON output")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usagef("presets takes at most one preset ID")
	}
	if len(pos) == 1 {
		p, err := core.PresetByID(pos[0])
		if err != nil {
			return err
		}
		if *asJSON {
			return c.printJSON(p)
		}
		return c.showPreset(p)
	}
	all, err := core.Presets()
	if err != nil {
		return err
	}
	if *asJSON {
		return c.printJSON(all)
	}
	tw := tabwriter.NewWriter(c.env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tNEEDS")
	for _, p := range all {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", p.ID, p.Name, presetNeeds(p))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(c.env.Stdout, "\nconnectedapps add NAME --preset ID [--tenant T | --realm R | --site URL | --domain D] --client-id ID; `connectedapps presets ID` shows one preset's quirks.")
	return nil
}

func (c *cmdCtx) showPreset(p core.Preset) error {
	w := c.env.Stdout
	fmt.Fprintf(w, "%s (%s)\n", p.Name, p.ID)
	if p.RegistrationURL != "" {
		fmt.Fprintf(w, "Register a client at: %s\n", p.RegistrationURL)
	}
	fmt.Fprintf(w, "  %s\n  %s\n", p.Registration, p.RedirectAdvice)
	for _, f := range p.Fields {
		def := "required"
		if f.Default != "" {
			def = "default " + f.Default
		}
		fmt.Fprintf(w, "--%s: %s (%s; e.g. %s)\n", f.Name, f.Help, def, f.Example)
	}
	for _, q := range p.Quirks {
		fmt.Fprintf(w, "Quirk: %s\n", q)
	}
	return nil
}
