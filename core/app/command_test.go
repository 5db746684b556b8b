package app

import (
	"errors"
	"slices"
	"testing"
)

func TestSplitCommandSplitsAsAShellWouldWithoutExpanding(t *testing.T) {
	for _, c := range []struct {
		line string
		want []string
	}{
		{"", nil},
		{"   \t ", nil},
		{"notify-send hello", []string{"notify-send", "hello"}},
		{"  a   b\tc  ", []string{"a", "b", "c"}},
		{`notify-send 'Mail needs you' "to sign in"`, []string{"notify-send", "Mail needs you", "to sign in"}},
		{`sh -c 'echo "$CONNECTEDAPPS_EVENT" >> /tmp/log'`, []string{"sh", "-c", `echo "$CONNECTEDAPPS_EVENT" >> /tmp/log`}},
		{`echo $HOME ~ *.go | cat; rm -rf /`, []string{"echo", "$HOME", "~", "*.go", "|", "cat;", "rm", "-rf", "/"}},
		{`a\ b c`, []string{"a b", "c"}},
		{`"a\"b\\c\$d\e"`, []string{`a"b\c$d\e`}},
		{`'it''s'`, []string{"its"}},
		{`''`, []string{""}},
		{`x "" y`, []string{"x", "", "y"}},
		{`pre"mid"'end'`, []string{"premidend"}},
		{"a\\\nb", []string{"ab"}},
		{"'single \\ keeps'", []string{`single \ keeps`}},
		{"日本 語", []string{"日本", "語"}},
	} {
		got, err := SplitCommand(c.line)
		if err != nil {
			t.Errorf("SplitCommand(%q): %v", c.line, err)
			continue
		}
		if !slices.Equal(got, c.want) || (got == nil) != (c.want == nil) {
			t.Errorf("SplitCommand(%q) = %q, want %q", c.line, got, c.want)
		}
	}
}

func TestSplitCommandRefusesWhatAShellWouldNotFinish(t *testing.T) {
	for line, want := range map[string]string{
		`echo 'open`: "has a single quote that is never closed: close it",
		`echo "open`: "has a double quote that is never closed: close it",
		`echo open\`: "ends with a lone backslash: remove it or quote it",
		`a "b\"`:     "has a double quote that is never closed: close it",
	} {
		if _, err := SplitCommand(line); err == nil || err.Error() != want {
			t.Errorf("SplitCommand(%q) error = %v, want %q", line, err, want)
		}
	}
}

func TestValidateNamesTheEventCommandThatCannotBeSplit(t *testing.T) {
	a := NewApp("Mail")
	a.ClientID, a.AuthorizationURI, a.TokenURI = "id", "https://p.example/auth", "https://p.example/token"
	a.OnEvent = `notify-send 'oops`
	err := a.Validate()
	var ve *ValidationError
	if err == nil || !errors.As(err, &ve) || ve.Field != FieldOnEvent {
		t.Fatalf("Validate = %v, want a ValidationError on %s", err, FieldOnEvent)
	}
	a.OnEvent = `notify-send 'fine'`
	if err := a.Validate(); err != nil {
		t.Fatalf("Validate with a good command: %v", err)
	}
}
