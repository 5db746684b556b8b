package app

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// jsonName is a struct field's JSON name ("" for none).
func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "-" {
		return ""
	}
	return name
}

// looksLikeURL says a document field holds a URL by its name: every such field must be an
// endpoint of the table, so a struct field added without its table line fails here.
func looksLikeURL(name string) bool {
	return strings.HasSuffix(name, "_uri") || name == FieldIssuer || name == FieldOpenIDConfiguration
}

func TestFieldTableIsWhole(t *testing.T) {
	docFields := map[string]reflect.Kind{}
	for f := range reflect.TypeFor[App]().Fields() {
		if n := jsonName(f); n != "" {
			docFields[n] = f.Type.Kind()
		}
	}
	seen, flags := map[string]bool{}, map[string]bool{}
	for _, f := range Fields {
		if f.JSON == "" || f.Label == "" || f.Section == "" {
			t.Errorf("%+v: a field needs its JSON name, label and section", f)
		}
		if seen[f.JSON] {
			t.Errorf("%s is in the table twice", f.JSON)
		}
		seen[f.JSON] = true
		if f.Flag != "" && flags[f.Flag] {
			t.Errorf("--%s is the flag of two fields", f.Flag)
		}
		flags[f.Flag] = true
		if _, ok := docFields[f.JSON]; f.Stored() && !ok {
			t.Errorf("%s is in the table, but App has no field of that JSON name", f.JSON)
		}
		if f.Kind == KindEndpoint && (f.Text == nil || f.Flag == "" || f.ShowLabel == "") {
			t.Errorf("endpoint %s needs its Go field (Text), a flag and a show label", f.JSON)
		}
	}
	for name, kind := range docFields {
		if f, ok := FieldByJSON(name); looksLikeURL(name) && kind == reflect.String && (!ok || f.Kind != KindEndpoint) {
			t.Errorf("App's %s is a URL but not an endpoint of the table: add its line to Fields", name)
		}
	}
	// Each endpoint's Text is its own field: the JSON name it writes is the one it claims.
	for _, e := range Endpoints() {
		var a App
		*e.Text(&a) = "https://x.example/" + e.JSON
		doc, err := a.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(doc), `"`+e.JSON+`":"https://x.example/`+e.JSON+`"`) {
			t.Errorf("endpoint %s's Text writes another field: %s", e.JSON, doc)
		}
	}
}

// Validate, discovery and the presets' templates follow the table: every endpoint is
// checked under its own name, filled from the discovery document's member, and templated.
func TestEveryEndpointIsValidatedDiscoveredAndTemplated(t *testing.T) {
	for _, e := range Endpoints() {
		a := appTestValid()
		*e.Text(&a) = "http://idp.example.com/plain"
		appTestWantField(t, a.Validate(), e.JSON)
	}

	// A discovery document whose every string says which member it is.
	var md ProviderMetadata
	mv := reflect.ValueOf(&md).Elem()
	var advertised []string
	for i, f := range slices.Collect(reflect.TypeFor[ProviderMetadata]().Fields()) {
		if f.Type.Kind() == reflect.String {
			v := "https://idp.example/" + jsonName(f)
			mv.Field(i).SetString(v)
			advertised = append(advertised, v)
		}
	}
	var a App
	a.ApplyMetadata(&md, "https://idp.example/.well-known/openid-configuration")
	var filled []string
	for _, e := range Endpoints() {
		filled = append(filled, *e.Text(&a))
		if e.Discovered != nil && *e.Text(&a) != e.Discovered(&md) {
			t.Errorf("discovery left %s = %q; want %q", e.JSON, *e.Text(&a), e.Discovered(&md))
		}
	}
	// The registration endpoint is no endpoint of the form: it is read once, when a client is
	// registered (Register), and kept beside what the provider supports.
	filled = append(filled, a.RegistrationEndpoint)
	for _, v := range advertised {
		if !slices.Contains(filled, v) {
			t.Errorf("discovery's %s fills no endpoint: give its table line Discovered", strings.TrimPrefix(v, "https://idp.example/"))
		}
	}
	// FillFromMetadata keeps what the document has; a KeepGiven field keeps it under ApplyMetadata too.
	for _, e := range Endpoints() {
		if e.Discovered == nil || e.JSON == FieldOpenIDConfiguration {
			continue
		}
		var b App
		*e.Text(&b) = "https://given.example/"
		b.FillFromMetadata(&md)
		if *e.Text(&b) != "https://given.example/" {
			t.Errorf("FillFromMetadata replaced the file's %s", e.JSON)
		}
		b.ApplyMetadata(&md, "https://idp.example/")
		if got := *e.Text(&b); (got == "https://given.example/") != e.KeepGiven {
			t.Errorf("ApplyMetadata: %s = %q (KeepGiven %v)", e.JSON, got, e.KeepGiven)
		}
	}

	var p App
	ptrs := p.templatedStrings()
	for _, e := range Endpoints() {
		if !slices.Contains(ptrs, e.Text(&p)) {
			t.Errorf("a preset cannot template %s", e.JSON)
		}
	}
}

// A required endpoint left empty is named by the table's label, as it always read.
func TestMissingEndpointsAreNamedByTheirLabel(t *testing.T) {
	for field, want := range map[string]string{
		"authorization_uri": "the authorization URI is required: use discovery or give it by hand",
		"token_uri":         "the token URI is required: use discovery or give it by hand",
	} {
		a := appTestValid()
		f, _ := FieldByJSON(field)
		*f.Text(&a) = ""
		if ve := appTestWantField(t, a.Validate(), field); ve.Message != want {
			t.Errorf("%s: %q; want %q", field, ve.Message, want)
		}
	}
}
