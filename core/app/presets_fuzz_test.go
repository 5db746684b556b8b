package app

import (
	"encoding/json"
	"errors"
	"maps"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// FuzzPresetFieldValue fills every preset with a fuzzed value for each field it takes (the
// other fields keep their examples), as "New from preset" and `add --preset` do. Properties:
// a refused value is a one-line ValidationError naming that field; an accepted value moves no
// endpoint beyond its own place: every endpoint is usable, gains no query, fragment or user
// info, keeps the preset's path around the value (no extra segment, no "." or "..") and keeps
// the preset's host, except that a domain or site value is the host itself.
func FuzzPresetFieldValue(f *testing.F) {
	presets, err := Presets()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, value string) {
		for _, p := range presets {
			for _, field := range p.Fields {
				fuzzCheckPresetField(t, p, field, value)
			}
		}
	})
}

func fuzzCheckPresetField(t *testing.T, p Preset, field PresetField, value string) {
	t.Helper()
	examples := map[string]string{}
	for _, fl := range p.Fields {
		examples[fl.Name] = fl.Example
	}
	var tmpl App
	if err := json.Unmarshal(p.App, &tmpl); err != nil {
		t.Fatalf("preset %s: %v", p.ID, err)
	}
	benign := NewApp("Benign")
	if _, err := p.Apply(&benign, examples); err != nil {
		t.Fatalf("preset %s with its examples: %v", p.ID, err)
	}
	values := maps.Clone(examples)
	values[field.Name] = value
	app := NewApp("Fuzzed")
	_, err := p.Apply(&app, values)
	if err != nil {
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != field.Name {
			t.Errorf("preset %s, %s %q: error %v does not name the field", p.ID, field.Name, value, err)
		}
		fuzzOneLine(t, "preset error", err.Error())
		return
	}
	v := strings.TrimSpace(value)
	if v == "" {
		v = field.Default
	}
	clean, err := cleanFieldValue(field.Name, v)
	if err != nil {
		t.Fatalf("preset %s accepted %s %q, which cleanFieldValue refuses: %v", p.ID, field.Name, value, err)
	}
	placeholder := "{" + field.Name + "}"
	tmplStrs, got, want := tmpl.templatedStrings(), app.templatedStrings(), benign.templatedStrings()
	for i := range tmplStrs {
		if !strings.Contains(*tmplStrs[i], placeholder) {
			continue
		}
		fuzzCheckFilledURL(t, p.ID, field, value, clean, *got[i], *want[i])
	}
}

func fuzzCheckFilledURL(t *testing.T, preset string, f PresetField, value, clean, got, want string) {
	t.Helper()
	field := f.Name
	where := preset + " preset, " + field + " " + strconv.Quote(value) + ": " + got
	if err := CheckEndpointURL(got); err != nil {
		t.Errorf("%s: unusable endpoint: %v", where, err)
		return
	}
	g, err1 := url.Parse(got)
	w, err2 := url.Parse(want)
	if err1 != nil || err2 != nil {
		t.Fatalf("%s: %v %v", where, err1, err2)
	}
	if g.RawQuery != w.RawQuery || g.ForceQuery != w.ForceQuery || g.Fragment != w.Fragment || strings.Contains(got, "#") != strings.Contains(want, "#") || g.User != nil {
		t.Errorf("%s: the value added a query, fragment or user info (the preset gives %s)", where, want)
	}
	switch field {
	case FieldTenant, FieldRealm:
		if g.Scheme != w.Scheme || g.Host != w.Host {
			t.Errorf("%s: the value moved the endpoint off %s://%s", where, w.Scheme, w.Host)
		}
		gs, ws := strings.Split(g.EscapedPath(), "/"), strings.Split(w.EscapedPath(), "/")
		if len(gs) != len(ws) {
			t.Errorf("%s: the value changed the path's segments (the preset gives %s)", where, want)
		}
		for _, s := range strings.Split(g.Path, "/") {
			if s == "." || s == ".." {
				t.Errorf("%s: the value put a dot segment in the path, which servers resolve away", where)
			}
		}
	case FieldDomain:
		if g.Host != strings.ToLower(clean) || g.Path != w.Path {
			t.Errorf("%s: the endpoint is not the preset's path %s on the domain %s", where, w.Path, clean)
		}
	case FieldSite:
		s, err := url.Parse(clean)
		if err != nil {
			t.Fatalf("%s: the cleaned site %q does not parse: %v", where, clean, err)
		}
		exampleClean, _ := cleanFieldValue(field, f.Example)
		example, _ := url.Parse(exampleClean)
		if g.Scheme != s.Scheme || g.Host != s.Host || g.Path != s.Path+strings.TrimPrefix(w.Path, example.Path) {
			t.Errorf("%s: the endpoint is not the preset's path %s under the site %s", where, w.Path, clean)
		}
	}
}
