package gui

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"connectedapps/core"
	"connectedapps/core/fail"
)

// core's words in the window's language. core writes its messages in English (the command
// line and the logs keep them so), and the window says them in the person's language from a
// catalogue, translations/core.zh_Hans.json: each key is "core:" and core's English format
// (a fail.Failf or fmt.Errorf format, an errors.New text, a validation message, a preset's
// sentence), each value that format in Chinese with the same verbs (%[n]s where the words
// come in another order). It is loaded into Fyne's lang with the window's own files (the
// "core." file name prefix makes it one more zh_Hans file), so it follows the language the
// window chose; the prefix keeps its keys apart from the window's own, and en.json needs no
// copy of core's English: a key with no translation says core's English.
//
// A *fail.Error keeps its format and arguments, so it is said exactly: its format
// translated, then formatted again with its arguments, an error among them said in turn
// (recursively) and a string that is itself a catalogued word (a step such as "refresh")
// translated. Any other error (fmt.Errorf's, a sentinel, oauth's Described network words, a
// validation message) is matched against the catalogue's formats as a pattern, its parts
// said in turn. Whatever matches nothing stays English: never a crash, never a %!s.
// core_words_test.go fails for a format of core with no Chinese, or with other verbs.
const corePrefix = "core:"

const coreCatalogue = "translations/core.zh_Hans.json"

// coreText is core's fixed sentence s (a preset's quirk, a step's name) in the window's
// language; s itself when the catalogue has none.
func coreText(s string) string {
	if s == "" || !coreCatalogueKeys()[s] {
		return s // asking lang for a key it lacks logs a translation failure
	}
	return lang.X(corePrefix+s, s)
}

// coreFormat is core's format in the window's language, and whether there is one.
func coreFormat(format string) (string, bool) {
	t := coreText(format)
	return t, t != format
}

// coreCatalogueKeys are the English texts the catalogue has, read from the embedded file
// (lang cannot list them); the words always come from lang, so they follow the window's
// language.
var coreCatalogueKeys = sync.OnceValue(func() map[string]bool {
	keys := map[string]bool{}
	data, err := translations.ReadFile(coreCatalogue)
	if err != nil {
		fyne.LogError("cannot read core's words", err)
		return keys
	}
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil {
		fyne.LogError("cannot read core's words", err)
		return keys
	}
	for key := range m {
		if english, ok := strings.CutPrefix(key, corePrefix); ok {
			keys[english] = true
		}
	}
	return keys
})

// coreWords is err's line in the window's language.
func coreWords(err error) string {
	if err == nil {
		return ""
	}
	return wordsOf(err, 0)
}

// A depth limit keeps a pathological chain (or a pattern that matches itself) from
// recursing without end; past it, words stay English.
const maxWordsDepth = 12

func wordsOf(err error, depth int) string {
	if depth > maxWordsDepth {
		return err.Error()
	}
	switch e := err.(type) {
	case *fail.Error:
		if e.Format != "" {
			if zh, ok := coreFormat(e.Format); ok {
				if s, ok := formatWords(zh, e.Format, e.Args, depth); ok {
					return s
				}
			}
		}
	case *core.ProviderError:
		if s, ok := providerWords(e, depth); ok {
			return s
		}
	case *core.ValidationError:
		// "token_uri: …" in English; the field's label and the message in the window's.
		if m := messageWords(e.Message); m != e.Message {
			if _, ok := core.FieldByJSON(e.Field); ok {
				return fmt.Sprintf(lang.L("%s: %s"), fieldLabel(e.Field), m)
			}
			if e.Field == "" {
				return m
			}
			return fmt.Sprintf(lang.L("%s: %s"), wordWords(e.Field), m) // a preset's value
		}
	}
	if s, ok := textWords(err.Error(), err, depth); ok {
		return s
	}
	return err.Error()
}

// wordsErr is an argument already said in the window's language, formatted by %v, %s and
// %q as its words.
type wordsErr string

func (w wordsErr) Error() string { return string(w) }

// formatWords formats the translated format zh with args, each error among them said in the
// window's language (%w becomes %v: Sprintf knows no %w). false if zh's verbs are not en's
// (a broken catalogue entry) or the result holds a %! mark.
func formatWords(zh, en string, args []any, depth int) (string, bool) {
	zv, ok1 := verbsOf(zh)
	ev, ok2 := verbsOf(en)
	if !ok1 || !ok2 || !sameVerbs(zv, ev) {
		return "", false
	}
	said := make([]any, len(args))
	for i, a := range args {
		switch a := a.(type) {
		case error:
			said[i] = wordsErr(wordsOf(a, depth+1))
		case string:
			said[i] = a
			if verbAt(ev, i) != 's' {
				break
			}
			// A word of core's (a step), or a sentence of core's given as text (a refused
			// redirect's words): said in turn. A name or a URL matches neither.
			if t := wordWords(a); t != a {
				said[i] = t
			} else if strings.Contains(a, " ") {
				if t, ok := textWords(a, nil, depth+1); ok {
					said[i] = t
				}
			}
		default:
			said[i] = a
		}
	}
	out := fmt.Sprintf(rewriteVerbs(zh, func(v verb) string {
		if v.kind == 'w' {
			return "%" + v.flags + v.index + "v"
		}
		return v.text
	}), said...)
	if strings.Contains(out, "%!") {
		return "", false
	}
	return out, true
}

// wordWords is a string argument in the window's language when it is a word of core's
// (a step, a field's name), else as it is: names, URLs and the provider's words stay.
func wordWords(s string) string {
	if t := coreText(s); t != s {
		return t
	}
	// A preset's value named inside a sentence ("needs the tenant"), its label lowered.
	if r := []rune(s); len(r) > 0 && unicode.IsLower(r[0]) {
		upper := string(unicode.ToUpper(r[0])) + string(r[1:])
		if t := coreText(upper); t != upper {
			return t
		}
	}
	for _, f := range core.Fields {
		switch {
		case f.Noun != "" && strings.EqualFold(s, f.Noun):
			return fieldNoun(f.JSON)
		case f.Label != "" && strings.EqualFold(s, f.Label):
			return fieldText(f)
		}
	}
	return s
}

// providerWords is an OAuth error answer in the window's language: the step and the
// advice are core's words, the code and the description the provider's own.
func providerWords(e *core.ProviderError, depth int) (string, bool) {
	zh, ok := coreFormat("%s failed: the provider said %q")
	if !ok {
		return "", false
	}
	s := fmt.Sprintf(zh, wordWords(e.Step), fail.OneLine(core.CleanText(e.Code)))
	if e.Description != "" {
		s += fmt.Sprintf(coreText(" (%s)"), fail.OneLine(core.CleanText(e.Description)))
	}
	if advice := e.Advice(); advice != "" {
		s = fmt.Sprintf(lang.L("%s: %s"), s, coreText(advice))
	}
	if e.App != "" {
		s = fmt.Sprintf(lang.L("%s: %s"), e.App, s)
	}
	return s, true
}

// textWords is a text of core's (one not made by Failf, or a part of one) in the window's
// language: the catalogue's entry for it, or the most specific format it matches with each
// part said in turn. err, when given, is what the text is the message of: a part that is
// the message of an error err wraps is said as that error.
func textWords(text string, err error, depth int) (string, bool) {
	if depth > maxWordsDepth || text == "" {
		return "", false
	}
	if t := wordWords(text); t != text {
		return t, true
	}
	for _, p := range corePatterns() {
		m := p.re.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		zh, ok := coreFormat(p.english)
		if !ok {
			continue
		}
		parts := make([]any, len(p.verbs))
		said := false
		for i, v := range p.verbs {
			part := m[i+1]
			parts[v.arg] = part
			if part == text || strings.IndexByte("svw", v.kind) < 0 {
				continue
			}
			if inner := wrappedWithText(err, part); inner != nil {
				parts[v.arg] = wordsOf(inner, depth+1)
			} else if t, ok := textWords(part, nil, depth+1); ok {
				parts[v.arg] = t
			}
			said = said || parts[v.arg] != part
		}
		if !p.words && !said {
			// "%s: %w" matches any text with a colon in it: without a word of core's in
			// it, the text is someone else's (the system's) and stays as it is.
			continue
		}
		// Every part is text now, so every verb is %s (a %q part holds its quotes, a %d
		// part its digits).
		out := fmt.Sprintf(rewriteVerbs(zh, func(v verb) string { return "%" + v.index + "s" }), parts...)
		if strings.Contains(out, "%!") {
			continue
		}
		return out, true
	}
	return "", false
}

// wrappedWithText is the error in err's chain (below err) whose message is text, or nil.
func wrappedWithText(err error, text string) error {
	var found error
	var walk func(e error, top bool)
	walk = func(e error, top bool) {
		if e == nil || found != nil {
			return
		}
		if !top && e.Error() == text {
			found = e
			return
		}
		switch w := e.(type) {
		case interface{ Unwrap() error }:
			walk(w.Unwrap(), false)
		case interface{ Unwrap() []error }:
			for _, x := range w.Unwrap() {
				walk(x, false)
			}
		}
	}
	walk(err, true)
	return found
}

// corePattern is a catalogued format as a pattern matching the texts it makes.
type corePattern struct {
	english string
	re      *regexp.Regexp
	verbs   []verb // in the order they appear
	literal int    // how much of the format is fixed text: the more, the more specific
	words   bool   // the fixed text has words in it, not only punctuation ("%s: %w")
}

// corePatterns are the catalogue's formats that take arguments, the most specific first.
var corePatterns = sync.OnceValue(func() []corePattern {
	var out []corePattern
	for english := range coreCatalogueKeys() {
		if p, ok := patternOf(english); ok {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].literal != out[j].literal {
			return out[i].literal > out[j].literal
		}
		return out[i].english < out[j].english
	})
	return out
})

// patternOf turns a format into a pattern; false for one with no verbs (found by its key)
// or too little fixed text to tell its parts apart.
func patternOf(format string) (corePattern, bool) {
	vs, ok := verbsOf(format)
	if !ok || len(vs) == 0 {
		return corePattern{}, false
	}
	var b strings.Builder
	b.WriteString(`^(?s)`)
	literal, last := 0, 0
	for _, v := range vs {
		lit := strings.ReplaceAll(format[last:v.at], "%%", "%")
		literal += len(strings.TrimSpace(lit))
		b.WriteString(regexp.QuoteMeta(lit))
		switch v.kind {
		case 'd':
			b.WriteString(`(-?\d+)`)
		case 'q':
			b.WriteString(`("(?:[^"\\]|\\.)*"|` + "`[^`]*`)")
		default:
			b.WriteString(`(.+?)`)
		}
		last = v.at + len(v.text)
	}
	lit := strings.ReplaceAll(format[last:], "%%", "%")
	literal += len(strings.TrimSpace(lit))
	b.WriteString(regexp.QuoteMeta(lit) + `$`)
	if literal < 2 {
		return corePattern{}, false
	}
	re, err := regexp.Compile(b.String())
	if err != nil {
		return corePattern{}, false
	}
	fixed := format
	for i := len(vs) - 1; i >= 0; i-- {
		fixed = fixed[:vs[i].at] + " " + fixed[vs[i].at+len(vs[i].text):]
	}
	words := strings.IndexFunc(fixed, unicode.IsLetter) >= 0
	return corePattern{english: format, re: re, verbs: vs, literal: literal, words: words}, true
}

// verb is one formatting verb of a format: where it is, its text, and the argument it takes.
type verb struct {
	at    int    // byte offset of its %
	text  string // as written: "%[2]q"
	flags string // "+-# 0" and width or precision, as written
	index string // "[n]" when written, else ""
	arg   int    // the argument it formats, from 0
	kind  byte   // 's', 'v', 'w', 'q', 'd', …
}

// verbsOf is every verb of format, in order; false for a format it cannot read (a * width,
// an unfinished verb), which is then never used to format.
func verbsOf(format string) ([]verb, bool) {
	var out []verb
	next := 0
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		start := i
		i++
		if i < len(format) && format[i] == '%' {
			continue
		}
		v := verb{at: start}
		for i < len(format) && strings.IndexByte("+-# 0123456789.", format[i]) >= 0 {
			v.flags += string(format[i])
			i++
		}
		if i < len(format) && format[i] == '[' {
			end := strings.IndexByte(format[i:], ']')
			if end < 0 {
				return nil, false
			}
			n, err := strconv.Atoi(format[i+1 : i+end])
			if err != nil || n < 1 {
				return nil, false
			}
			v.index = format[i : i+end+1]
			next = n - 1
			i += end + 1
		}
		if i >= len(format) || format[i] == '*' {
			return nil, false
		}
		v.kind = format[i]
		v.arg = next
		next++
		v.text = format[start : i+1]
		out = append(out, v)
	}
	return out, true
}

// sameVerbs: a and b format the same arguments with the same kinds of verb, in any order
// (a translation may reorder with %[n]), %w and %v counting as one kind.
func sameVerbs(a, b []verb) bool {
	kinds := func(vs []verb) map[int]byte {
		m := map[int]byte{}
		for _, v := range vs {
			k := v.kind
			if k == 'w' {
				k = 'v'
			}
			m[v.arg] = k
		}
		return m
	}
	if len(a) != len(b) {
		return false
	}
	ka, kb := kinds(a), kinds(b)
	if len(ka) != len(kb) {
		return false
	}
	for arg, k := range ka {
		if kb[arg] != k {
			return false
		}
	}
	return true
}

// verbAt is the kind of verb that formats argument i in vs (0 if none).
func verbAt(vs []verb, i int) byte {
	for _, v := range vs {
		if v.arg == i {
			return v.kind
		}
	}
	return 0
}

// rewriteVerbs is format with each verb replaced by f's text for it. A format of
// implicitly numbered verbs gets explicit ones ([n]) where f drops the index, so a
// rewrite never changes which argument a verb takes.
func rewriteVerbs(format string, f func(verb) string) string {
	vs, ok := verbsOf(format)
	if !ok {
		return format
	}
	var b strings.Builder
	last := 0
	for _, v := range vs {
		b.WriteString(format[last:v.at])
		if v.index == "" {
			v.index = "[" + strconv.Itoa(v.arg+1) + "]"
		}
		b.WriteString(f(v))
		last = v.at + len(v.text)
	}
	b.WriteString(format[last:])
	return b.String()
}
