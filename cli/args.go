package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// usageError is a mistake in the command line itself: exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// newFlags makes a FlagSet that reports instead of printing.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parse accepts flags before and after positional arguments ("add NAME --scope x" and
// "add --scope x NAME" alike), as people type them.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%s: %v (see `connectedapps help %s`)", fs.Name(), err, fs.Name())
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// parseName parses a command that takes exactly one NAME.
func parseName(fs *flag.FlagSet, args []string) (string, error) {
	pos, err := parse(fs, args)
	if err != nil {
		return "", err
	}
	return oneName(fs.Name(), pos)
}

// oneName checks that exactly one NAME was given.
func oneName(cmd string, positional []string) (string, error) {
	switch len(positional) {
	case 1:
		return positional[0], nil
	case 0:
		return "", usagef("%s needs the app's NAME (see `connectedapps list`)", cmd)
	}
	return "", usagef("%s takes one NAME, got %d: %s (quote a name with spaces)", cmd, len(positional), strings.Join(positional, " "))
}

// listFlag collects a repeatable flag.
type listFlag struct {
	values []string
	set    bool
}

func (l *listFlag) String() string { return strings.Join(l.values, " ") }
func (l *listFlag) Set(v string) error {
	l.values, l.set = append(l.values, v), true
	return nil
}

// stringFlag remembers whether it was given, so edit changes only what was named.
type stringFlag struct {
	value string
	set   bool
}

func (s *stringFlag) String() string { return s.value }
func (s *stringFlag) Set(v string) error {
	s.value, s.set = v, true
	return nil
}

// boolFlag is a switch (--no-pkce) given through flag.Var.
type boolFlag bool

func (b *boolFlag) String() string   { return strconv.FormatBool(bool(*b)) }
func (b *boolFlag) IsBoolFlag() bool { return true }
func (b *boolFlag) Set(v string) error {
	x, err := strconv.ParseBool(v)
	if err != nil {
		return fmt.Errorf("%q is not true or false", v)
	}
	*b = boolFlag(x)
	return nil
}

type intFlag struct {
	value int
	set   bool
}

func (i *intFlag) String() string { return fmt.Sprint(i.value) }
func (i *intFlag) Set(v string) error {
	var n int
	if _, err := fmt.Sscan(v, &n); err != nil {
		return fmt.Errorf("%q is not a number", v)
	}
	i.value, i.set = n, true
	return nil
}

type durationFlag struct {
	value time.Duration
	set   bool
}

func (d *durationFlag) String() string { return d.value.String() }
func (d *durationFlag) Set(v string) error {
	x, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("%q is not a duration (write it like 90s, 5m or 1h)", v)
	}
	if x < 0 {
		return fmt.Errorf("%q is negative", v)
	}
	d.value, d.set = x, true
	return nil
}
