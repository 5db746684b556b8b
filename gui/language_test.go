package gui

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"connectedapps/core"
	"connectedapps/core/fail"
)

// windowSource is the window's own Go files (not its tests), parsed.
func windowSource(t *testing.T) (*token.FileSet, []*ast.File) {
	t.Helper()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return fset, files
}

func loadTranslation(t *testing.T, name string) map[string]string {
	t.Helper()
	data, err := translations.ReadFile("translations/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatalf("translations/%s: %v", name, err)
	}
	// A plural message is {"one": …, "other": …}: its "other" stands for it here.
	m := map[string]string{}
	for key, v := range raw {
		var s string
		if json.Unmarshal(v, &s) != nil {
			var forms map[string]string
			if err := json.Unmarshal(v, &forms); err != nil {
				t.Fatalf("translations/%s: %q is neither a string nor plural forms: %v", name, key, err)
			}
			s = forms["other"]
		}
		m[key] = s
	}
	return m
}

// fieldKeys are the keys of the form's words from core's field table, with core's English.
func fieldKeys() map[string]string {
	m := map[string]string{}
	for _, f := range core.Fields {
		m["field."+f.JSON+".label"] = f.Label
		if f.Placeholder != "" {
			m["field."+f.JSON+".placeholder"] = f.Placeholder
		}
		if f.Noun != "" {
			m["field."+f.JSON+".noun"] = f.Noun
		}
	}
	for _, s := range []core.Section{core.SectionName, core.SectionDiscovery, core.SectionClient,
		core.SectionScopes, core.SectionParams, core.SectionEndpoints, core.SectionAdvanced} {
		m["section."+string(s)] = string(s)
	}
	return m
}

// TestEveryWindowStringIsTranslated: every lang.L key in the window's source, and every
// field-table key, is in en.json (saying the English) and in zh_Hans.json (saying something),
// and neither file keeps a key nothing uses.
func TestEveryWindowStringIsTranslated(t *testing.T) {
	fset, files := windowSource(t)
	used := fieldKeys()
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || !isLangCall(call, "L", "N") || len(call.Args) == 0 {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				t.Errorf("%s: lang.L is given %T, not a string literal: the translation test cannot see its key", fset.Position(call.Pos()), call.Args[0])
				return true
			}
			key, _ := strconv.Unquote(lit.Value)
			used[key] = key
			return true
		})
	}
	en, zh := loadTranslation(t, "en.json"), loadTranslation(t, "zh_Hans.json")
	for key, english := range used {
		if en[key] != english {
			t.Errorf("en.json: %q is %q; want %q", key, en[key], english)
		}
		if strings.TrimSpace(zh[key]) == "" {
			t.Errorf("zh_Hans.json has no translation of %q", key)
		}
	}
	for name, m := range map[string]map[string]string{"en.json": en, "zh_Hans.json": zh} {
		for key := range m {
			if _, ok := used[key]; !ok {
				t.Errorf("%s: %q is used nowhere in the window: remove it", name, key)
			}
		}
	}
}

func isLangCall(call *ast.CallExpr, names ...string) bool {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && pkg.Name == "lang" && (len(names) == 0 || contains(names, sel.Sel.Name))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// The calls and fields that put words on the screen: a bare literal with letters passed
// to one of them is a string the person would read in English whatever their language.
var (
	wordCalls = []string{"NewLabel", "NewButton", "NewButtonWithIcon", "NewCheck", "NewMenu",
		"NewMenuItem", "NewTabItem", "NewTabItemWithIcon", "NewAccordionItem", "NewFormItem",
		"SetText", "SetPlaceHolder", "SetTitle", "NewWindow", "NewCustom", "NewCustomConfirm",
		"showMessage", "showChoice", "showForm", "Notify", "newDialogButton", "newDialogCheck",
		"caption", "heading", "hint", "withHint"}
	wordFields = []string{"Text", "Label", "PlaceHolder", "Title"}
	hasLetters = regexp.MustCompile(`[A-Za-z]{2,}`)
	// Words shown as they are in every language: the language names in Settings.
	untranslatedOnPurpose = []string{"English"}
)

// TestNoBareWordsInTheWindow finds literals given to the calls and fields that show words
// without going through lang.
func TestNoBareWordsInTheWindow(t *testing.T) {
	fset, files := windowSource(t)
	bare := func(e ast.Expr, where string) {
		lit, ok := e.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return
		}
		s, _ := strconv.Unquote(lit.Value)
		if hasLetters.MatchString(s) && !contains(untranslatedOnPurpose, s) {
			t.Errorf("%s: %q is shown through %s without lang.L: add it to gui/translations", fset.Position(lit.Pos()), s, where)
		}
	}
	for _, f := range files {
		if f.Name.Name != "gui" {
			continue
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if isLangCall(n) {
					return false
				}
				name := ""
				switch fn := n.Fun.(type) {
				case *ast.SelectorExpr:
					name = fn.Sel.Name
				case *ast.Ident:
					name = fn.Name
				}
				if contains(wordCalls, name) {
					for _, a := range n.Args {
						bare(a, name)
					}
				}
			case *ast.KeyValueExpr:
				if k, ok := n.Key.(*ast.Ident); ok && contains(wordFields, k.Name) {
					bare(n.Value, k.Name+":")
				}
			case *ast.AssignStmt:
				for i, l := range n.Lhs {
					if sel, ok := l.(*ast.SelectorExpr); ok && contains(wordFields, sel.Sel.Name) && i < len(n.Rhs) {
						bare(n.Rhs[i], "."+sel.Sel.Name+" =")
					}
				}
			}
			return true
		})
	}
}

// allowedInChinese are the words the Chinese window keeps in Latin letters: names of
// protocols, products (notify-send, the on-event placeholder's program), headers and grant
// types, the language names, "Ctrl", and units (KiB).
var allowedInChinese = map[string]bool{
	"OAuth": true, "OpenID": true, "Connect": true, "URI": true, "URL": true, "ID": true,
	"PKCE": true, "JSON": true, "JWKS": true, "S256": true, "Connected": true, "Apps": true,
	"Authorization": true, "Bearer": true, "Ctrl": true, "F": true, "KiB": true, "English": true, "Language": true,
	"Google": true, "Microsoft": true, "KDE": true, "Klipper": true, "CopyQ": true,
	"GNOME": true, "SSH": true, "notify-send": true, "Git": true, "git": true, "openid": true, "issuer": true, "Issuer": true,
	"client_secret_basic": true, "client_secret_post": true, "none": true,
	"authorization_code": true, "device_code": true, "client_credentials": true,
	"access_type": true, "offline": true, "well-known": true,
}

// visibleWords is every text a person can read in o: labels, buttons, checks, radio
// choices, entries' placeholders, tabs, accordion and form labels, as drawn.
func visibleWords(o fyne.CanvasObject) []string {
	var out []string
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		switch o := o.(type) {
		case *canvas.Text:
			out = append(out, o.Text)
			return
		case *widget.Entry:
			out = append(out, o.PlaceHolder)
		case *fyne.Container:
			for _, c := range o.Objects {
				walk(c)
			}
			return
		}
		if w, ok := o.(fyne.Widget); ok {
			for _, c := range test.WidgetRenderer(w).Objects() {
				walk(c)
			}
		}
	}
	walk(o)
	return out
}

// data is what the person typed or the provider said (hosts, addresses, names): not words
// of the window.
var data = regexp.MustCompile(`\S*[./:@]\S*|%[a-z]`)
var latinWord = regexp.MustCompile(`[A-Za-z][A-Za-z0-9_-]*`)

// englishLeft is the Latin words of texts not allowed in Chinese; names are the test's data
// (the app's name, who signed in, the scopes).
func englishLeft(texts []string, appNames ...string) []string {
	left := map[string]bool{}
	for _, s := range texts {
		for _, n := range appNames {
			if s == n {
				s = ""
			}
			s = strings.ReplaceAll(s, n+" ", "")
			s = strings.ReplaceAll(s, " "+n, "")
			s = strings.ReplaceAll(s, "："+n, "")
		}
		s = data.ReplaceAllString(s, "")
		for _, w := range latinWord.FindAllString(s, -1) {
			if !allowedInChinese[w] {
				left[w+" (in "+strconv.Quote(s)+")"] = true
			}
		}
	}
	var out []string
	for w := range left {
		out = append(out, w)
	}
	sort.Strings(out)
	return out
}

// inChinese switches the window's words to Simplified Chinese for one test, as
// LANG=zh_CN.UTF-8 does at start, and back to the system's (English in tests) after it.
func inChinese(t *testing.T) {
	// Registered first, so it runs last: after t.Setenv has put the environment back.
	t.Cleanup(func() { useLanguage(languageSystem) })
	t.Setenv("LANG", "zh_CN.UTF-8")
	t.Setenv("LC_ALL", "")
	t.Setenv("LANGUAGE", "")
	useLanguage(languageSystem)
}

func TestSystemLocaleChoosesTheLanguage(t *testing.T) {
	inChinese(t)
	if got := fieldLabel(core.FieldClientID); got != "客户端 ID" {
		t.Errorf("with LANG=zh_CN.UTF-8 the Client ID label is %q; want 客户端 ID", got)
	}
	useLanguage(languageEnglish) // Settings' English wins over the system's Chinese
	if got := fieldLabel(core.FieldClientID); got != "Client ID" {
		t.Errorf("with English chosen the Client ID label is %q", got)
	}
	useLanguage(languageChinese)
	t.Setenv("LANG", "C")
	useLanguage(languageChinese) // and Chinese chosen wins over LANG=C
	if got := fieldLabel(core.FieldClientID); got != "客户端 ID" {
		t.Errorf("with Chinese chosen under LANG=C the Client ID label is %q", got)
	}
}

func TestSettingsKeepsTheLanguageForTheNextStart(t *testing.T) {
	svc := newTestService(t)
	w, s := openSettingsOn(t, svc)
	if s.language.Selected != "System" || s.languageNote.Visible() {
		t.Fatalf("a first start shows %q, note shown %v; want System and no note", s.language.Selected, s.languageNote.Visible())
	}
	s.language.SetSelected("简体中文")
	if got := w.env.app.Preferences().String(prefLanguage); got != languageChinese || chosenLanguage(w.env.app) != languageChinese {
		t.Errorf("choosing 简体中文 keeps %q", got)
	}
	if !s.languageNote.Visible() {
		t.Error("Settings does not say the language changes at the next start")
	}
}

// TestTheWindowInChineseHasNoEnglishLeft renders the main window (its list, the
// Registration form with every section open, the Connection tab), Settings, the menus and
// the tray menu in Chinese and finds no English word but the allowed names.
func TestTheWindowInChineseHasNoEnglishLeft(t *testing.T) {
	inChinese(t)
	svc := newTestService(t)
	provider := newFakeProvider(t)
	addConnectedApp(t, svc, "谷歌", provider, connectedFor(30*time.Minute))
	w := openWindow(t, svc)
	w.sidebar.list.Select(0)
	var texts []string
	texts = append(texts, visibleWords(w.win.Content())...)
	var openAll func(o fyne.CanvasObject)
	openAll = func(o fyne.CanvasObject) {
		switch o := o.(type) {
		case *widget.Accordion:
			o.OpenAll()
		case *fyne.Container:
			for _, c := range o.Objects {
				openAll(c)
			}
			return
		}
		if wd, ok := o.(fyne.Widget); ok {
			for _, c := range test.WidgetRenderer(wd).Objects() {
				openAll(c)
			}
		}
	}
	openAll(w.win.Content())
	texts = append(texts, visibleWords(w.win.Content())...)
	w.tabs.SelectIndex(1)
	texts = append(texts, visibleWords(w.win.Content())...)
	for _, item := range w.tabs.Items {
		texts = append(texts, item.Text)
	}
	if mm := w.win.MainMenu(); mm != nil {
		for _, m := range mm.Items {
			texts = append(texts, m.Label)
			for _, it := range m.Items {
				texts = append(texts, it.Label)
			}
		}
	}
	_, desk := installTray(t, w)
	texts = append(texts, desk.labels()...)
	s := newSettingsScreen(w.env, w.win)
	s.exe = func() (string, error) { return "/usr/local/bin/connectedapps", nil }
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	texts = append(texts, visibleWords(container.NewStack(s.buildUI()))...)
	texts = append(texts, visibleWords(newEmptyWindowForTest(t))...)

	if left := englishLeft(texts, "谷歌", "Ada Lovelace", "offline_access", "email", "c"); len(left) > 0 {
		t.Errorf("the window in Chinese still says, in English:\n%s", strings.Join(left, "\n"))
	}
	if !containsText(texts, "登记") || !containsText(texts, "客户端 ID") {
		t.Errorf("the window in Chinese does not show 登记 and 客户端 ID: %q", texts)
	}
}

// TestErrorDialogsInChineseSayTheRemediesInChinese shows an error dialog for every remedy
// the window words (each field-naming one with every field core names), in Chinese, and
// finds no English word but the allowed names. core's own line (what happened) stays as core
// wrote it, so the test gives a Chinese one and checks the rest of the dialog: the remedy,
// the title and the buttons.
func TestErrorDialogsInChineseSayTheRemediesInChinese(t *testing.T) {
	inChinese(t)
	svc := newTestService(t)
	addApp(t, svc, "谷歌", nil)
	w := openWindow(t, svc)
	selectApp(t, w, "谷歌")
	var fields []string
	for _, f := range core.Fields {
		if f.Noun != "" {
			fields = append(fields, f.JSON)
		}
	}
	fields = append(fields, "callback_path")
	shown := 0
	for _, do := range fail.Actions() {
		if do == fail.None {
			continue
		}
		names := []string{""}
		switch do {
		case fail.AddEndpoint, fail.FixField, fail.MoveEndpoint:
			names = fields
		case fail.ForgetLocally:
			names = []string{"tokens", "app"}
		}
		for _, field := range names {
			r := fail.Remedy{Do: do, App: "谷歌", Field: field}
			err := fail.Failf(core.ErrInvalid, "谷歌：出了问题").With(r)
			w.showError(lang.L("Import failed"), err)
			top := w.win.Canvas().Overlays().Top()
			if top == nil {
				t.Fatalf("%+v: no dialog shown", r)
			}
			texts := visibleWords(top)
			if labels := overlayTexts(w); !containsText(labels, remedyWords(r)) {
				t.Errorf("%+v: the dialog %q does not say the remedy %q", r, labels, remedyWords(r))
			}
			if left := englishLeft(texts, "谷歌"); len(left) > 0 {
				t.Errorf("%+v: the error dialog in Chinese still says, in English:\n%s", r, strings.Join(left, "\n"))
			}
			w.pendingDialog.Hide()
			shown++
		}
	}
	if shown < len(fail.Actions())-1 {
		t.Fatalf("only %d dialogs shown", shown)
	}
}

// newEmptyWindowForTest is the first start's window, with no app yet.
func newEmptyWindowForTest(t *testing.T) fyne.CanvasObject {
	w := openWindow(t, newTestService(t))
	return w.win.Content()
}

func containsText(texts []string, s string) bool {
	for _, x := range texts {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}
