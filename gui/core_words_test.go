package gui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"fyne.io/fyne/v2/lang"

	"connectedapps/core"
	"connectedapps/core/fail"
)

// coreSaid is a text of core's that can reach a person, and where it is written.
type coreSaid struct {
	text  string
	where string
}

// The calls whose literal format (at the given argument) is a message a person can read:
// core's failures, its plain errors, an import note.
var coreMessageCalls = map[string]int{
	"fmt.Errorf": 0, "errors.New": 0,
	"Failf": 1, "failf": 1, "fail.Failf": 1,
	"addNote": 1, "imp.addNote": 1,
	// CheckGitHost's reasons, said inside its message.
	"bad": 0,
	// What a refused redirect kept ("; every token was kept"), said inside its message.
	"RefusedRedirect": 2, "oauth.RefusedRedirect": 2,
}

// The fields of core's results whose literal values the window shows as words.
var coreResultFields = map[string]bool{"NotRevokedAs": true}

// The functions whose every literal (a returned sentence, a Sprintf format) is words a
// message of core's is made of: the provider's standard codes' advice, the network words
// of oauth's Described errors, the endpoints a refused redirect names, an OAuth error
// answer's own sentence.
var coreWordFuncs = map[string]bool{"providerAdvice": true, "netProblem": true, "endpointOf": true, "portReserved": true,
	"loopbackRedirect": true} // why an imported redirect URI is unusable

// coreSteps are the steps of the flows that messages name ("refresh failed: …") and the
// keyring's operations ("for a read"), said in the window's language where they stand in a
// message; each must still be one of core's.
var coreSteps = []string{"sign-in", "token exchange", "refresh", "revocation", "userinfo", "introspection",
	"device authorization", "token request", "device sign-in", "read", "write", "delete"}

// coreSource is every literal message of core (not its tests, nor its test helpers'
// packages) and every other string literal of it, parsed with go/ast.
func coreSource(t *testing.T) (said []coreSaid, literals map[string]bool) {
	t.Helper()
	literals = map[string]bool{}
	fset := token.NewFileSet()
	seen := map[string]bool{}
	add := func(s, where string) {
		if s != "" && !seen[s] {
			seen[s] = true
			said = append(said, coreSaid{s, where})
		}
	}
	err := filepath.WalkDir("../core", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if strings.HasSuffix(d.Name(), "test") && p != "../core" {
				return filepath.SkipDir // oauthtest, secrettest: helpers of tests
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return err
		}
		where := func(n ast.Node) string { return fset.Position(n.Pos()).String() }
		// Literals in the word functions and in Error methods of oauth's error types.
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			if !coreWordFuncs[fd.Name.Name] && !(fd.Name.Name == "Error" && fd.Recv != nil && strings.HasSuffix(filepath.Dir(p), "oauth")) {
				continue
			}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.ReturnStmt:
					for _, r := range n.Results {
						if s, ok := literal(r); ok && strings.Contains(s, " ") && hasLetters.MatchString(s) {
							add(s, where(n))
						}
					}
				case *ast.CallExpr:
					if name := callName(n); name == "fmt.Sprintf" || name == "fmt.Fprintf" {
						i := 0
						if name == "fmt.Fprintf" {
							i = 1
						}
						if len(n.Args) > i {
							if s, ok := literal(n.Args[i]); ok {
								add(s, where(n))
							}
						}
					}
				}
				return true
			})
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BasicLit:
				if s, ok := literal(n); ok {
					literals[s] = true
				}
			case *ast.AssignStmt:
				for i, l := range n.Lhs {
					if sel, ok := l.(*ast.SelectorExpr); ok && coreResultFields[sel.Sel.Name] && i < len(n.Rhs) {
						if s, ok := literal(n.Rhs[i]); ok {
							add(s, where(n))
						}
					}
				}
			case *ast.CallExpr:
				if i, ok := coreMessageCalls[callName(n)]; ok && len(n.Args) > i {
					if s, ok := literal(n.Args[i]); ok {
						add(s, where(n))
					}
				}
			case *ast.CompositeLit:
				// A ValidationError's message (its second element, or Message:), literal
				// or made by Sprintf with a literal format.
				if id, ok := n.Type.(*ast.Ident); !ok || id.Name != "ValidationError" {
					return true
				}
				for i, e := range n.Elts {
					if kv, ok := e.(*ast.KeyValueExpr); ok {
						if k, ok := kv.Key.(*ast.Ident); !ok || k.Name != "Message" {
							continue
						}
						e = kv.Value
					} else if i != 1 {
						continue
					}
					if s, ok := literal(e); ok {
						add(s, where(e))
					} else if c, ok := e.(*ast.CallExpr); ok && callName(c) == "fmt.Sprintf" && len(c.Args) > 0 {
						if s, ok := literal(c.Args[0]); ok {
							add(s, where(e))
						}
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range coreSteps {
		if !literals[s] {
			t.Errorf("core names no step %q any more: remove it from coreSteps", s)
		}
		add(s, "a step of the flows (coreSteps)")
	}
	// The presets' words the window shows: names, the registration's steps, quirks, the
	// values each asks for.
	presets, err := core.Presets()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range presets {
		where := "core/app/presets/" + p.ID + ".json"
		for _, s := range append([]string{p.Registration, p.RedirectAdvice}, p.Quirks...) {
			add(s, where)
			literals[s] = true
		}
		if nameHasWords(p.Name) {
			add(p.Name, where)
			literals[p.Name] = true
		}
		for _, f := range p.Fields {
			add(f.Label, where)
			add(f.Help, where)
			literals[f.Label], literals[f.Help] = true, true
		}
	}
	sort.Slice(said, func(i, j int) bool { return said[i].text < said[j].text })
	return said, literals
}

func callName(c *ast.CallExpr) string {
	switch fn := c.Fun.(type) {
	case *ast.Ident:
		return fn.Name
	case *ast.SelectorExpr:
		if x, ok := fn.X.(*ast.Ident); ok {
			return x.Name + "." + fn.Sel.Name
		}
		return fn.Sel.Name // imp.addNote
	}
	return ""
}

// literal is e's value when it is a string literal or literals joined with +.
func literal(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		a, ok1 := literal(e.X)
		b, ok2 := literal(e.Y)
		return a + b, ok1 && ok2
	case *ast.ParenExpr:
		return literal(e.X)
	}
	return "", false
}

// loadCoreCatalogue is translations/core.zh_Hans.json, each key without its prefix.
func loadCoreCatalogue(t *testing.T) map[string]string {
	t.Helper()
	data, err := translations.ReadFile(coreCatalogue)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]string
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatalf("%s: %v", coreCatalogue, err)
	}
	m := map[string]string{}
	for k, v := range raw {
		english, ok := strings.CutPrefix(k, corePrefix)
		if !ok {
			t.Errorf("%s: key %q does not start with %q", coreCatalogue, k, corePrefix)
			continue
		}
		m[english] = v
	}
	return m
}

// TestEveryCoreMessageHasChinese reads core's source (go/ast) for every message a person
// can meet (each Failf, fmt.Errorf, errors.New and import note with a literal format, each
// validation message, the words messages are made of) and every preset's words, and fails
// for one with no Chinese in the catalogue, for a Chinese format whose verbs are not the
// English one's (the same arguments with the same kinds of verb, %[n] reordering allowed),
// and for an entry core no longer says. The failure lists the missing ones as lines to add
// to the catalogue, so whoever adds a message (or merges a branch that does) knows exactly
// what to translate.
func TestEveryCoreMessageHasChinese(t *testing.T) {
	said, literals := coreSource(t)
	if len(said) < 150 {
		t.Fatalf("found only %d messages in core's source: the scan is broken", len(said))
	}
	zh := loadCoreCatalogue(t)
	var missing []string
	for _, s := range said {
		if _, ok := zh[s.text]; !ok {
			k, _ := json.Marshal(corePrefix + s.text)
			missing = append(missing, fmt.Sprintf(" %s: \"…\",   (%s)", k, s.where))
		}
	}
	if len(missing) > 0 {
		t.Errorf("%s has no Chinese for %d of core's messages; add each, in Simplified Chinese with the same verbs:\n%s",
			coreCatalogue, len(missing), strings.Join(missing, "\n"))
	}
	onlyVerbs := regexp.MustCompile(`^(%(\[[0-9]+\])?[a-z])+$`)
	han := regexp.MustCompile(`[\p{Han}\x{3000}-\x{303f}\x{ff00}-\x{ffef}]`) // a Chinese word, or at least its punctuation ("%s：%w")
	for english, chinese := range zh {
		ev, ok1 := verbsOf(english)
		cv, ok2 := verbsOf(chinese)
		switch {
		case !ok1 || !ok2 || !sameVerbs(ev, cv):
			t.Errorf("%s: %q has other verbs than %q: %s against %s", coreCatalogue, chinese, english, verbList(cv), verbList(ev))
		case !han.MatchString(chinese) && !onlyVerbs.MatchString(english):
			// A format of verbs alone ("%w": an error that adds a remedy to another) has no
			// words of its own; its argument is translated.
			t.Errorf("%s: %q is not Chinese: %q", coreCatalogue, english, chinese)
		case !literals[english]:
			t.Errorf("%s: core no longer says %q: remove it (or reword it as core does now)", coreCatalogue, english)
		}
		if strings.ContainsAny(chinese, "\n\r") {
			t.Errorf("%s: %q breaks the one-line rule", coreCatalogue, chinese)
		}
	}
	for _, s := range said {
		if !literals[s.text] {
			t.Errorf("%s is not among core's literals", s.text)
		}
	}
}

func verbList(vs []verb) string {
	var out []string
	for _, v := range vs {
		out = append(out, fmt.Sprintf("arg %d %%%c", v.arg+1, v.kind))
	}
	return "[" + strings.Join(out, ", ") + "]"
}

// TestCoreCatalogueIsWrittenAsTheOthers: sorted by key, one space of indent, not ASCII
// escaped, a final newline: what json.dump(d, f, indent=1, ensure_ascii=False,
// sort_keys=True) writes, so every editor's change is a clean diff.
func TestCoreCatalogueIsWrittenAsTheOthers(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(coreCatalogue))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("{\n")
	for i, k := range keys {
		kq, vq := pyQuote(k), pyQuote(m[k])
		b.WriteString(" " + kq + ": " + vq)
		if i < len(keys)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("}\n")
	if string(data) != b.String() {
		t.Errorf("%s is not written as json.dump(d, f, indent=1, ensure_ascii=False, sort_keys=True) plus a newline writes it", coreCatalogue)
	}
}

// pyQuote is s as Python's json.dumps(s, ensure_ascii=False) writes it.
func pyQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// nameHasWords: a preset's name with words in it ("Generic OpenID Connect", "Frappe /
// ERPNext site") is translated; a product's own name (Google, Microsoft Entra ID) is not.
func nameHasWords(name string) bool {
	if strings.HasPrefix(name, "Generic ") {
		return true
	}
	for _, w := range strings.Fields(name) {
		if r := []rune(w)[0]; unicode.IsLower(r) {
			return true
		}
	}
	return false
}

// TestCoreErrorsSaidInChinese words errors as core makes them (Failf's, wrapped in each
// other and in fmt.Errorf, a provider's OAuth answer, a sentinel) in Chinese, and the same
// errors in English as core wrote them.
func TestCoreErrorsSaidInChinese(t *testing.T) {
	notConnected := fail.Failf(core.ErrNotConnected, "%s is not connected", "谷歌")
	canceled := fail.Failf(core.ErrCanceled, "%s: sign-in canceled", "谷歌")
	refused := &core.ProviderError{App: "谷歌", Step: "refresh", Code: "invalid_grant", Description: "Token is not active", Kind: core.ErrNeedsReauth}
	cases := []struct {
		err  error
		want string
	}{
		{notConnected, "谷歌 未连接"},
		{fail.Failf(nil, "%w; nothing was deleted", notConnected), "谷歌 未连接；没有删除任何内容"},
		{fmt.Errorf("%s cannot connect: %w", "谷歌", canceled), "谷歌 无法连接：谷歌：登录已取消"},
		{fail.Failf(core.ErrNeedsReauth, "%s: %s failed: %w; try again", "谷歌", "refresh", refused),
			`谷歌：刷新失败：谷歌：刷新失败：提供方回答 "invalid_grant"（Token is not active）：刷新令牌已不再被接受；请重新连接以登录；请重试`},
		// Reordered arguments (%[3]s … %[2]s) land where the Chinese puts them.
		{fail.Failf(core.ErrTimeout, "%s: nobody approved the code %s within %s", "谷歌", "WDJB-MJHT", "5m0s"),
			"谷歌：5m0s内无人批准代码 WDJB-MJHT"},
		{fail.Failf(core.ErrPortInUse, "port %d on %s is already in use (another program, or another connect)", 8765, "127.0.0.1"),
			"127.0.0.1 上的端口 8765 已被占用（另一个程序，或另一次连接）"},
		// A sentinel, and fmt.Errorf around it: matched by its words.
		{fmt.Errorf("%w: the agent's answer held no token", errors.New("no agent answered")), "没有代理回答：代理的回答中没有令牌"},
		{core.ErrNotFound, "未找到"},
		// An account named in the message (an app with several) is said in Chinese too.
		{fail.Failf(core.ErrNeedsReauth, "%s needs you to sign in again%s (%s)", "谷歌", " as ada@example.com", "invalid_grant"),
			"谷歌（账户 ada@example.com） 需要你重新登录（invalid_grant）"},
		// The reason core records for a token that ran out with no refresh token is its own words.
		{fail.Failf(core.ErrNeedsReauth, "%s needs you to sign in again%s (%s)", "谷歌", "", "the access token has run out and the provider gave no refresh token"),
			"谷歌 需要你重新登录（访问令牌已过期，而提供方没有给出刷新令牌）"},
		{fail.Failf(core.ErrNotFound, "%s has no account %q (%s); sign in as that account to add it", "谷歌", "bob", "its accounts: ada@example.com, eve@example.com"),
			`谷歌 没有账户 "bob"（它的账户：ada@example.com, eve@example.com）；请以该账户登录来添加它`},
	}
	inChinese(t)
	for _, c := range cases {
		if got := coreWords(c.err); got != c.want {
			t.Errorf("%q in Chinese:\n got %q\nwant %q", c.err.Error(), got, c.want)
		}
	}
	// What the catalogue does not know stays English, whole and unbroken.
	for _, err := range []error{
		errors.New("something nobody wrote down"),
		fail.Failf(core.ErrInvalid, "a format of %s nobody translated", "谷歌"),
		fmt.Errorf("an unknown wrapper (%w)", notConnected),
		// The system's words with a colon in them ("%s: %w" would match) are not core's.
		errors.New("dial tcp: lookup idp.example.com: no such host"),
	} {
		if got := coreWords(err); got != err.Error() {
			t.Errorf("%q, which the catalogue does not know, became %q", err.Error(), got)
		}
	}
	useLanguage(languageEnglish)
	for _, c := range cases {
		if got := coreWords(c.err); got != c.err.Error() {
			t.Errorf("in English %q became %q", c.err.Error(), got)
		}
	}
}

// A translation with other verbs than core's format is never used to format: it would
// print %!d(string=…) or drop an argument.
func TestFormatWordsRefusesOtherVerbs(t *testing.T) {
	args := []any{"谷歌", 3}
	for _, zh := range []string{"%d：%s", "%s", "%s %d %s", "%[2]s %[1]d"} {
		if s, ok := formatWords(zh, "%s: %d", args, 0); ok {
			t.Errorf("%q was used for %q: %q", zh, "%s: %d", s)
		}
	}
	if s, ok := formatWords("%[2]d 个：%[1]s", "%s: %d", args, 0); !ok || s != "3 个：谷歌" {
		t.Errorf("a reordered translation gave %q, %v", s, ok)
	}
	if s, ok := formatWords("百分之百 100%% %s", "100%% %s", []any{"x"}, 0); !ok || s != "百分之百 100% x" {
		t.Errorf("%%%% gave %q, %v", s, ok)
	}
}

// TestRealCoreErrorsInChinese makes errors with the real core (a missing app, one not
// connected, an unknown preset, a file that is no export, documents that do not validate,
// discovery at a port nobody listens on) and finds no English left in their Chinese words
// but the data and the operating system's own words.
func TestRealCoreErrorsInChinese(t *testing.T) {
	inChinese(t)
	svc := newTestService(t)
	addApp(t, svc, "谷歌", nil)
	ctx := context.Background()
	var errs []error
	_, err := svc.Token(ctx, "没有", core.DefaultMinValid)
	errs = append(errs, err)
	_, err = svc.Token(ctx, "谷歌", core.DefaultMinValid)
	errs = append(errs, err)
	_, err = core.PresetByID("没有")
	errs = append(errs, err)
	for _, data := range []string{"", "{", `{"x": 1}`, `{"installed": {"client_id": "c", "auth_uri": "https://evil.example/auth", "token_uri": "https://oauth2.googleapis.com/token"}}`} {
		_, err = svc.Import(ctx, []byte(data), "")
		errs = append(errs, err)
	}
	bad := []func(a *core.App){
		func(a *core.App) { a.ClientID = "" },
		func(a *core.App) { a.TokenURI = "" },
		func(a *core.App) { a.TokenURI = "http://example.com/token" },
		func(a *core.App) { a.Scopes = []string{"two words"} },
		func(a *core.App) { a.RedirectPort = 70000 },
		func(a *core.App) { a.RedirectHost = "example.com" },
		func(a *core.App) { a.GrantType = "magic" },
		func(a *core.App) { a.ProviderName = " 谷歌" },
		func(a *core.App) { a.GitHosts = []string{"https://github.com"} },
	}
	for _, f := range bad {
		a := core.NewApp("谷歌")
		a.ClientID, a.AuthorizationURI, a.TokenURI = "c", "https://example.com/auth", "https://example.com/token"
		f(&a)
		if err := a.Validate(); err != nil {
			errs = append(errs, err)
		} else {
			t.Errorf("a document changed by %p validates", f)
		}
	}
	keycloak := presetByID(t, "keycloak")
	doc := core.NewApp("谷歌")
	_, err = keycloak.Apply(&doc, map[string]string{"site": "https://sso.example.com"})
	errs = append(errs, err)
	ln, lerr := net.Listen("tcp", "127.0.0.1:0")
	if lerr != nil {
		t.Fatal(lerr)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	_, err = svc.Discover(ctx, closed, "")
	errs = append(errs, err)

	osWords := regexp.MustCompile(`\((dial tcp|unexpected end of JSON input|invalid character|[^()]*connection refused)[^（）]*\)|（[^（）]*(dial tcp|JSON input|connection refused)[^（）]*）`)
	for _, err := range errs {
		if err == nil {
			t.Fatal("a failure did not fail")
		}
		words := coreWords(err)
		t.Logf("%s\n  %s", err.Error(), words)
		if words == err.Error() {
			t.Errorf("%q stayed English", err.Error())
			continue
		}
		if left := coreEnglishLeft(osWords.ReplaceAllString(words, ""), "谷歌", "没有", "myrealm"); len(left) > 0 {
			t.Errorf("%q in Chinese is %q, which still says in English:\n%s", err.Error(), words, strings.Join(left, "\n"))
		}
	}
}

// TestErrorDialogInChineseSaysCoresLineInChinese: the error dialog of a real failure
// (Disconnect of an app that is not connected) says core's line in Chinese too, then the
// remedy.
func TestErrorDialogInChineseSaysCoresLineInChinese(t *testing.T) {
	inChinese(t)
	svc := newTestService(t)
	addApp(t, svc, "谷歌", nil)
	w := openWindow(t, svc)
	selectApp(t, w, "谷歌")
	_, err := svc.Token(context.Background(), "谷歌", core.DefaultMinValid)
	if err == nil {
		t.Fatal("a token of an app never connected")
	}
	w.showError(lang.L("Import failed"), err)
	top := w.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no dialog shown")
	}
	texts := visibleWords(top)
	if !containsText(overlayTexts(w), "谷歌 未连接") {
		t.Errorf("the dialog %q does not say core's line in Chinese", overlayTexts(w))
	}
	if left := coreEnglishLeft(strings.Join(texts, "\n"), "谷歌"); len(left) > 0 {
		t.Errorf("the dialog in Chinese still says, in English:\n%s", strings.Join(left, "\n"))
	}
}

// Names the Chinese words of core keep as they are: products, services and the names of
// their consoles and protocols, which a person finds under these names.
var coreNames = []string{"Google", "Cloud", "Console", "Frappe", "ERPNext", "Connected", "App", "Apps", "GitHub", "GitLab",
	"Keycloak", "Okta", "Auth0", "Microsoft", "Entra", "Azure", "Graph", "Outlook", "Gmail", "IMAP", "SMTP",
	"HTTPS", "http", "https", "TLS", "RFC", "API", "APIs", "JWT", "Windows", "Hyper-V", "WSL", "Git",
	"HS256", "NAME", "PORT", "DOMAIN", "REALM", "API_IDENTIFIER", "Secret", "Service", "gnome-keyring", "KeePassXC",
	"CONNECTEDAPPS_PASSPHRASE", "XDG_CONFIG_HOME", "HOME", "XDG_RUNTIME_DIR", "connectedapps", "uid", "nonce", "state",
	"azp", "tid", "oauth2", "all", "audience", "common", "organizations", "consumers", "sock_diag", "MiB", "OIDC", "auto",
	"e", "g", "host", "port", "localhost"}

// quotedOrCode is data in core's words: a %q value, a console's label “in quotes”, an
// identifier (client_secret_*.json, provider_name, read_repository), a command in backquotes,
// a list of preset IDs.
var quotedOrCode = regexp.MustCompile("\"[^\"]*\"|“[^”]*”|`[^`]*`|\\S*[_*=]\\S*|[a-z0-9-]+(, [a-z0-9-]+)+")

// coreEnglishLeft is englishLeft for core's words in Chinese: the data, the names and the
// identifiers taken out first.
func coreEnglishLeft(s string, names ...string) []string {
	s = quotedOrCode.ReplaceAllString(s, "")
	var left []string
	for _, w := range englishLeft([]string{s}, names...) {
		if !slices.Contains(coreNames, strings.Fields(w)[0]) {
			left = append(left, w)
		}
	}
	return left
}

// TestEveryPresetInChineseHasNoEnglishLeft opens every preset as a person does in the
// Chinese window (its item in the menu, the dialog asking for its values, the form with its
// checklist of steps and quirks, the status line) and finds no English sentence left: only
// the names of products and of the consoles' own buttons (“in quotes”, as the person finds
// them on the provider's page), the data and the identifiers.
func TestEveryPresetInChineseHasNoEnglishLeft(t *testing.T) {
	inChinese(t)
	svc := newTestService(t)
	w := openWindow(t, svc)
	presets, err := core.Presets()
	if err != nil {
		t.Fatal(err)
	}
	var menu []string
	for _, it := range w.presets.items() {
		menu = append(menu, it.Label)
	}
	check := func(where string, texts []string, data ...string) {
		t.Helper()
		var left []string
		for _, s := range texts {
			left = append(left, coreEnglishLeft(s, data...)...)
		}
		if len(left) > 0 {
			t.Errorf("%s in Chinese still says, in English:\n%s", where, strings.Join(left, "\n"))
		}
	}
	check("the preset menu", menu)
	for _, p := range presets {
		values := map[string]string{}
		if len(p.Fields) > 0 {
			w.presets.newFromPreset(p)
			top := w.win.Canvas().Overlays().Top()
			if top == nil {
				t.Fatalf("%s: no dialog asks for its values", p.ID)
			}
			var examples []string
			for _, f := range p.Fields {
				examples = append(examples, f.Example, f.Default)
			}
			check(p.ID+"'s dialog", visibleWords(top), examples...)
			w.win.Canvas().Overlays().Remove(top)
			for _, f := range p.Fields {
				values[f.Name] = f.Default
				if values[f.Name] == "" {
					values[f.Name] = f.Example
				}
			}
		}
		w.presets.openPreset(p, values)
		card := presetChecklist(t, w)
		card.OpenAll()
		texts := visibleWords(w.form.presetInfo)
		texts = append(texts, card.Items[0].Title, w.form.status.Text)
		// Wrapped labels are drawn a line at a time: compare without the breaks.
		drawn := strings.Join(strings.Fields(strings.Join(texts, "")), "")
		shows := func(s string) bool { return strings.Contains(drawn, strings.Join(strings.Fields(s), "")) }
		if !shows(coreText(p.Registration)) || len(p.Quirks) > 0 && !shows(coreText(p.Quirks[0])) {
			t.Errorf("%s: the checklist %q does not show the registration and the quirks", p.ID, texts)
		}
		check(p.ID+"'s checklist", []string{strings.Join(texts, " ")}) // a quote may wrap
	}
}

// TestARefusedRedirectInChinese: a refresh whose token endpoint answers with a redirect is
// refused by the real core; its message (core's sentence given as text inside a Failf, and
// what was kept) is Chinese.
func TestARefusedRedirectInChinese(t *testing.T) {
	redirector := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		http.Redirect(rw, r, "https://elsewhere.example.com/token", http.StatusFound)
	}))
	t.Cleanup(redirector.Close)
	svc := newTestService(t)
	addConnectedApp(t, svc, "谷歌", &fakeProvider{Server: redirector}, connectedFor(30*time.Minute))
	_, err := svc.Refresh(context.Background(), "谷歌")
	if err == nil || !strings.Contains(err.Error(), "answered with a redirect (302)") {
		t.Fatalf("the refresh was not refused its redirect: %v", err)
	}
	inChinese(t)
	words := coreWords(err)
	t.Log(words)
	if !strings.Contains(words, "刷新失败") || !strings.Contains(words, "携带密钥的请求从不跟随重定向") || !strings.HasSuffix(words, "所有令牌均已保留") {
		t.Errorf("%q in Chinese is %q", err.Error(), words)
	}
	if left := coreEnglishLeft(words, "谷歌"); len(left) > 0 {
		t.Errorf("%q still says, in English:\n%s", words, strings.Join(left, "\n"))
	}
}

// TestARefusedRefreshInChinese: the provider answers a refresh with invalid_grant; the real
// core's message (the provider's code and description as they are, core's words and the
// advice of the code) is Chinese, and so is the revocation the provider could not do.
func TestARefusedRefreshInChinese(t *testing.T) {
	provider := newFakeProvider(t)
	provider.tokenStatus, provider.revokeStatus = 400, 503
	svc := newTestService(t)
	addConnectedApp(t, svc, "谷歌", provider, connectedFor(30*time.Minute))
	_, refreshErr := svc.Refresh(context.Background(), "谷歌")
	if !errors.Is(refreshErr, core.ErrNeedsReauth) {
		t.Fatalf("an invalid_grant refresh: %v", refreshErr)
	}
	addConnectedApp(t, svc, "必应", provider, connectedFor(30*time.Minute))
	_, revokeErr := svc.Disconnect(context.Background(), "必应", false)
	if revokeErr == nil {
		t.Fatal("a revocation the provider refused succeeded")
	}
	inChinese(t)
	for _, err := range []error{refreshErr, revokeErr} {
		words := coreWords(err)
		t.Logf("%s\n  %s", err.Error(), words)
		if words == err.Error() {
			t.Errorf("%q stayed English", words)
		}
		// The provider's own description stays its own.
		if left := coreEnglishLeft(strings.ReplaceAll(strings.ReplaceAll(words, "Token is not active", ""), "try later", ""), "谷歌", "必应"); len(left) > 0 {
			t.Errorf("%q still says, in English:\n%s", words, strings.Join(left, "\n"))
		}
	}
}

// TestImportNotesInChinese imports, with the real core, a Google client file whose redirect
// URIs are no use to a desktop app, and finds its notes in Chinese in the window's words.
func TestImportNotesInChinese(t *testing.T) {
	svc := newTestService(t)
	google := `{"web":{"client_id":"123.apps.googleusercontent.com","auth_uri":"https://accounts.google.com/o/oauth2/auth",
		"token_uri":"https://oauth2.googleapis.com/token","redirect_uris":["https://example.com/cb","http://127.0.0.1:8765/elsewhere"]}}`
	res, err := svc.Import(context.Background(), []byte(google), "谷歌")
	if err != nil || len(res) != 1 || len(res[0].Notes) < 2 {
		t.Fatalf("the import gave %+v, %v; want one app with notes", res, err)
	}
	// A Frappe document naming another issuer than its discovery document: the note is the
	// message add gives, worded the same way.
	disco := httptest.NewServer(nil)
	t.Cleanup(disco.Close)
	disco.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"issuer":%q,"authorization_endpoint":"%[1]s/auth","token_endpoint":"%[1]s/token","jwks_uri":"%[1]s/keys"}`, disco.URL)
	})
	frappe := `{"provider_name":"别处","client_id":"c","issuer":"https://elsewhere.example","openid_configuration":"` + disco.URL +
		`/.well-known/openid-configuration","scopes":[{"scope":"openid"}]}`
	more, err := svc.Import(context.Background(), []byte(frappe), "")
	if err != nil || len(more) != 1 || len(more[0].Notes) != 1 {
		t.Fatalf("the import gave %+v, %v; want one app with the issuer's note", more, err)
	}
	res = append(res, more...)
	inChinese(t)
	for _, r := range res {
		checkNotesInChinese(t, r)
	}
}

func checkNotesInChinese(t *testing.T, r core.ImportResult) {
	t.Helper()
	for i, n := range r.Notes {
		words := noteWords(r, i)
		t.Logf("%s\n  %s", n, words)
		if words == n {
			t.Errorf("the note %q stayed English", n)
		}
		if left := coreEnglishLeft(words, r.App.ProviderName); len(left) > 0 {
			t.Errorf("the note %q in Chinese still says, in English:\n%s", words, strings.Join(left, "\n"))
		}
	}
}
