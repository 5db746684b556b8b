package gui

import (
	"fmt"
	"slices"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"connectedapps/core"
)

// formTexts is every label, section heading and folding section's title of the form, with
// the object each stands in (nil for a title), whether shown or folded away.
func formTexts(o fyne.CanvasObject, in fyne.CanvasObject, out map[string][]fyne.CanvasObject) {
	switch o := o.(type) {
	case *widget.Label:
		out[o.Text] = append(out[o.Text], in)
	case *container.Scroll:
		formTexts(o.Content, in, out)
	case *widget.Accordion:
		for _, it := range o.Items {
			out[it.Title] = append(out[it.Title], nil)
			formTexts(it.Detail, it.Detail, out)
		}
	case *fyne.Container:
		for _, c := range o.Objects {
			formTexts(c, in, out)
		}
	}
}

// The form follows core's field table: a new field (an endpoint is one line there) gets its
// row, under its section, with its error line, filled from and read into the document,
// without any edit here. This walks the table and checks each of those for every field.
func TestEveryFieldHasItsRowInTheForm(t *testing.T) {
	svc := newTestService(t)
	app := core.NewApp("Every field")
	app.ClientID = "c"
	for i, e := range core.Endpoints() {
		*e.Text(&app) = fmt.Sprintf("https://idp.example/endpoint-%d", i)
	}
	if _, err := svc.Add(app, nil); err != nil {
		t.Fatal(err)
	}
	w := openWindow(t, svc)
	saved := selectApp(t, w, "Every field")
	f := w.form

	texts := map[string][]fyne.CanvasObject{}
	formTexts(f.scroll, nil, texts)
	for _, field := range core.Fields {
		if len(texts[field.Label]) == 0 {
			t.Errorf("the form has no %q row for %s", field.Label, field.JSON)
		}
		if field.Section != core.SectionName && len(texts[string(field.Section)]) == 0 {
			t.Errorf("the form has no %q section for %s", field.Section, field.JSON)
		}
		_, hasErrorLine := f.errors[field.JSON]
		if wantLine := field.Stored() && field.JSON != "pkce"; hasErrorLine != wantLine { // PKCE is a check box: never wrong
			t.Errorf("%s: error line %v; want %v", field.JSON, hasErrorLine, wantLine)
		}
	}
	for i, e := range core.Endpoints() {
		entry := f.urls[e.JSON]
		if entry == nil {
			t.Errorf("no entry for %s", e.JSON)
			continue
		}
		if want := *e.Text(&saved); entry.Text != want {
			t.Errorf("%s shows %q; want %q", e.JSON, entry.Text, want)
		}
		// The endpoints' rows are in the Endpoints section (those an app needs first
		// may stand at the top instead: see arrange).
		if e.Section == core.SectionEndpoints {
			in := slices.ContainsFunc(texts[e.Label], func(o fyne.CanvasObject) bool { return o == f.endpointBox })
			if !in && !(e.Primary && len(f.topEndpoints.Objects) > 0) {
				t.Errorf("%s's row is not in the Endpoints section", e.JSON)
			}
		}
		entry.SetText(fmt.Sprintf("https://idp.example/edited-%d", i))
		if got := *e.Text(new(f.document())); got != entry.Text {
			t.Errorf("%s typed %q reads back as %q", e.JSON, entry.Text, got)
		}
	}
}
