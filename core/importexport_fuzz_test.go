package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// The import parsers read files a person downloaded or was sent. Properties, for every
// parser: a file it refuses is ErrInvalid with one line; a file it reads gives apps with a
// usable name, a loopback redirect host and a port in range, one-line notes, no secret made
// of asterisks; each app either validates or names the one field that is wrong (which Import
// reports before registering anything); and each app comes back unchanged through Export and
// ParseImport, with no client_secret in the exported file.

// FuzzParseImport reads a fuzzed file the way `connectedapps import` does.
func FuzzParseImport(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		apps, err := ParseImport(data)
		fuzzCheckImport(t, "ParseImport", apps, err)
	})
}

// FuzzParseGoogleClientFile reads a fuzzed Google client_secret_*.json.
func FuzzParseGoogleClientFile(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		apps, err := parseGoogleClientFile(data)
		fuzzCheckImport(t, "parseGoogleClientFile", apps, err)
		if err != nil {
			return
		}
		if len(apps) != 1 || apps[0].Format != "google" || apps[0].App.Preset != "google" || apps[0].App.ProviderName != "Google" {
			t.Fatalf("a Google client file gave %+v; want one Google app from the google preset", apps)
		}
		// The file can only bring wrong endpoints; the preset supplies the rest.
		var ve *ValidationError
		if err := apps[0].App.Validate(); errors.As(err, &ve) && ve.Field != "authorization_uri" && ve.Field != "token_uri" {
			t.Errorf("a Google client file gave an app whose %s is wrong: %v", ve.Field, err)
		}
	})
}

// FuzzParseFrappeDocs reads a fuzzed Frappe Connected App document or list.
func FuzzParseFrappeDocs(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		data = bytes.TrimSpace(data)
		if len(data) == 0 {
			return // ParseImport refuses an empty file before it reaches the Frappe parser
		}
		apps, err := parseFrappeDocs(data)
		fuzzCheckImport(t, "parseFrappeDocs", apps, err)
		for _, a := range apps {
			if a.Format != "frappe" {
				t.Errorf("a Frappe document gave format %q", a.Format)
			}
		}
	})
}

func fuzzCheckImport(t *testing.T, parser string, apps []ImportedApp, err error) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s error %v is not ErrInvalid", parser, err)
		}
		fuzzOneLine(t, parser+" error", err.Error())
		return
	}
	if len(apps) == 0 {
		t.Fatalf("%s read no app and gave no error", parser)
	}
	for i, imp := range apps {
		a := imp.App
		if imp.Format != "google" && imp.Format != "frappe" {
			t.Errorf("app %d: unknown format %q", i, imp.Format)
		}
		if name := a.ProviderName; name == "" || name != strings.TrimSpace(name) {
			t.Errorf("app %d: provider_name %q is empty or has edge spaces", i, name)
		}
		if imp.Secret != nil && strings.Trim(*imp.Secret, "*") == "" {
			t.Errorf("app %d: the masked secret %q was taken for a secret", i, *imp.Secret)
		}
		for _, n := range imp.Notes {
			fuzzOneLine(t, parser+" note", n)
		}
		if err := a.Validate(); err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Errorf("app %d: Validate error %v names no field", i, err)
			}
			fuzzOneLine(t, "Validate error", err.Error())
		} else if a.RedirectPort < 0 || a.RedirectPort > 65535 {
			t.Errorf("app %d: validates with redirect port %d", i, a.RedirectPort)
		}
		if imp.Format == "google" {
			switch a.RedirectHost {
			case HostIPv4, HostLocalhost, HostIPv6:
			default:
				t.Errorf("app %d: redirect host %q is not a loopback host", i, a.RedirectHost)
			}
		}
	}
	fuzzCheckExportRoundTrip(t, apps)
}

// fuzzCheckExportRoundTrip exports the apps as Export does and reads the file back.
func fuzzCheckExportRoundTrip(t *testing.T, apps []ImportedApp) {
	t.Helper()
	docs := make([]frappeDoc, 0, len(apps))
	for i := range apps {
		docs = append(docs, exportDoc(&apps[i].App))
	}
	exported, err := json.MarshalIndent(docs, "", "  ")
	if err != nil {
		t.Fatalf("exporting: %v", err)
	}
	var keys []map[string]json.RawMessage
	if err := json.Unmarshal(exported, &keys); err != nil {
		t.Fatalf("the export is not a JSON list: %v", err)
	}
	for _, k := range keys {
		if _, ok := k["client_secret"]; ok {
			t.Errorf("the export carries a client_secret: %s", exported)
		}
	}
	back, err := ParseImport(exported)
	if err != nil {
		t.Fatalf("the export does not import: %v\n%s", err, exported)
	}
	if len(back) != len(apps) {
		t.Fatalf("exported %d apps, imported %d back", len(apps), len(back))
	}
	for i := range apps {
		want, got := apps[i].App, back[i].App
		got.ID = want.ID // a new registration gets a new id
		if want.CallbackPath == "" {
			// Export writes the path the app answers on; an app not yet registered has none
			// yet, so it reads back as an app from before apps had their own path.
			want.CallbackPath = CallbackPath
		}
		if a, b := fuzzJSON(t, want), fuzzJSON(t, got); a != b {
			t.Errorf("app %d changed through export and import:\nbefore %s\nafter  %s", i, a, b)
		}
	}
}
