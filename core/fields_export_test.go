package core

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

// The Frappe export and import follow core/app's field table: every stored field of the table
// is written under its JSON name (Frappe's where Frappe has the field), and every endpoint
// comes back from the file as it went out. A new endpoint is one line of the table; this is
// what proves the export needs nothing more.
func TestExportWritesEveryFieldOfTheTable(t *testing.T) {
	svc := newFixture(t, fixtureOpts{realTime: true}).svc
	a := NewApp("Every field")
	a.ClientID, a.Scopes, a.GitHosts = "c", []string{"openid"}, []string{"example.com"}
	a.OnEvent = "notify-send 'Every field'"
	a.PublishingStatus = PublishingTesting
	a.QueryParameters = []QueryParameter{{Key: "k", Value: "v"}}
	for i, e := range Endpoints() {
		*e.Text(&a) = fmt.Sprintf("https://idp.example/endpoint-%d", i)
	}
	if _, err := svc.Add(a, nil); err != nil {
		t.Fatal(err)
	}
	out, err := svc.Export()
	if err != nil {
		t.Fatal(err)
	}
	var docs []map[string]any
	if err := json.Unmarshal(out, &docs); err != nil || len(docs) != 1 {
		t.Fatalf("export: %v\n%s", err, out)
	}
	for _, f := range Fields {
		if _, ok := docs[0][f.JSON]; f.Stored() && !ok {
			t.Errorf("the export has no %s:\n%s", f.JSON, out)
		}
	}
	// Frappe's own members come first, as Frappe writes them; ours after them.
	var keys []string
	dec := json.NewDecoder(bytes.NewReader(out))
	for depth := 0; ; {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if k, ok := tok.(string); ok && depth == 2 && dec.More() {
			keys = append(keys, k)
			var skip json.RawMessage
			_ = dec.Decode(&skip)
		}
	}
	if len(keys) != len(docs[0]) {
		t.Fatalf("read %d member names of %d: %v", len(keys), len(docs[0]), keys)
	}
	lastFrappe, firstOurs := -1, len(keys)
	for i, k := range keys {
		if f, ok := FieldByJSON(k); ok && f.Frappe {
			lastFrappe = i
		} else if k != "doctype" && i < firstOurs {
			firstOurs = i
		}
	}
	if lastFrappe > firstOurs {
		t.Errorf("one of our members stands among Frappe's: %v", keys)
	}
	for _, never := range []string{FieldClientSecret, "has_client_secret", "connection", "id"} {
		if _, ok := docs[0][never]; ok {
			t.Errorf("the export writes %s", never)
		}
	}

	imported, err := ParseImport(out)
	if err != nil || len(imported) != 1 {
		t.Fatalf("re-import: %v", err)
	}
	for _, e := range Endpoints() {
		if got, want := *e.Text(&imported[0].App), *e.Text(&a); got != want {
			t.Errorf("%s came back as %q; want %q", e.JSON, got, want)
		}
	}
	if got := imported[0].App.PublishingStatus; got != a.PublishingStatus {
		t.Errorf("publishing_status came back as %q; want %q", got, a.PublishingStatus)
	}
	// A member that is not a string is refused with its name, as any unreadable document is.
	if _, err := ParseImport([]byte(`{"provider_name":"P","client_id":"c","token_uri":7}`)); err == nil {
		t.Error("a numeric token_uri was read")
	}
}
