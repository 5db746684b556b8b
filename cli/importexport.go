package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"connectedapps/core"
)

// maxImportSize bounds what import reads: a client file or an export is a few kilobytes.
const maxImportSize = 4 << 20

func (c *cmdCtx) importApps(args []string) error {
	fs := newFlags("import")
	var as stringFlag
	fs.Var(&as, "as", "register the file's app under this name")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("import takes one FILE (a Google client_secret_*.json or a Frappe Connected App export; - reads stdin)")
	}
	data, err := c.readImportFile(pos[0])
	if err != nil {
		return err
	}
	results, err := c.svc.Import(c.ctx, data, as.value)
	w := c.env.Stdout
	for _, r := range results {
		fmt.Fprintf(w, "Imported %s.\n", r.App.ProviderName)
		if r.App.GrantType.NeedsBrowser() {
			fmt.Fprintf(w, "Redirect URI: %s\n  register exactly this URI with the provider\n", r.App.RedirectURI())
		}
		for i := range r.Notes {
			fmt.Fprintf(w, "Note: %s\n", noteWithRemedy(r, i))
		}
		c.advise(&r.App)
	}
	if err != nil {
		return err
	}
	for _, r := range results {
		fmt.Fprintf(w, "Next: connectedapps connect %s\n", quoteName(r.App.ProviderName))
	}
	return nil
}

func (c *cmdCtx) readImportFile(path string) ([]byte, error) {
	var r io.Reader
	if path == "-" {
		r = c.env.Stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, core.Failf(core.ErrNotFound, "cannot import %s: no such file", path)
			}
			return nil, fmt.Errorf("cannot import %s: %w", path, err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxImportSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	if len(data) > maxImportSize {
		return nil, core.Failf(core.ErrInvalid, "cannot import %s: it is larger than %d MiB, which no client file or export is", path, maxImportSize>>20)
	}
	return data, nil
}

func (c *cmdCtx) exportApps(args []string) error {
	names, err := parse(newFlags("export"), args)
	if err != nil {
		return err
	}
	data, err := c.svc.Export(names...)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(c.env.Stdout, string(data))
	return err
}
