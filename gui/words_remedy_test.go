package gui

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"connectedapps/core"
	"connectedapps/core/fail"
)

// commandLine is what the window must never show: a command or a flag.
var commandLine = regexp.MustCompile("connectedapps |(^|[\\s(`/])--[a-z]")

// Every kind of core error with every remedy, as the window says it: no command, no flag.
func TestEveryErrorKindAndRemedyInTheWindowsWords(t *testing.T) {
	fields := []string{"", "authorization_uri", "token_uri", "revocation_uri", "userinfo_uri", "introspection_uri",
		"device_authorization_uri", "issuer", "jwks_uri", "scopes", "redirect_port", "client_id", "tokens", "app"}
	for _, kind := range fail.Kinds() {
		for _, do := range fail.Actions() {
			for _, field := range fields {
				r := fail.Remedy{Do: do, App: "Example", Field: field}
				err := fail.Failf(kind, "Example: something failed (%s)", kind).With(r)
				got := errorWords(err)
				if commandLine.MatchString(got) {
					t.Errorf("%v with %+v reads %q in the window", kind, r, got)
				}
				if do != fail.None && remedyWords(r) == "" {
					t.Errorf("%+v has no words in the window", r)
				}
				if strings.ContainsAny(got, "\r\n") {
					t.Errorf("%q is not one line", got)
				}
			}
		}
	}
}

// Every preset's text the window shows (its registration steps, redirect advice, quirks and
// fields) speaks the window's words.
func TestPresetTextsInTheWindowsWords(t *testing.T) {
	presets, err := core.Presets()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range presets {
		texts := append([]string{p.Name, p.Registration, p.RedirectAdvice, p.RegistrationURL}, p.Quirks...)
		for _, f := range p.Fields {
			texts = append(texts, f.Label, f.Help, f.Example)
		}
		for _, s := range texts {
			if commandLine.MatchString(s) {
				t.Errorf("preset %s shows %q", p.ID, s)
			}
		}
	}
}

// No string core writes into a message names a command or a flag: its next steps are remedies.
// (Read from core's source, so a new message is checked the day it is written.) The field
// table's FlagHelp is the one exception: it is the command line's own help for the flag,
// printed by `help add`, which the table keeps beside the flag so a field is one line.
func TestCoreMessagesNameNoCommand(t *testing.T) {
	root := filepath.Join("..", "core")
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if kv, ok := n.(*ast.KeyValueExpr); ok {
				if key, ok := kv.Key.(*ast.Ident); ok && key.Name == "FlagHelp" {
					return false
				}
			}
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			if s, err := strconv.Unquote(lit.Value); err == nil && commandLine.MatchString(s) {
				t.Errorf("%s: %q names a command or a flag", fset.Position(lit.Pos()), s)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
