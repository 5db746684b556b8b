package fail

// Action is what a person can do about a failure. The core says which; each front end says how
// (the command line as a command to run, the window in its own words or with a button).
type Action int

// None: nothing to do but read the message (it says what happened, and that is all).
const None Action = iota

// Remedy is the next step for one failure: the action, the app it is about (its name, as the
// person knows it) and, for an action about one field of the document, the field's JSON name
// ("userinfo_uri", "redirect_port").
type Remedy struct {
	Do    Action
	App   string
	Field string
}

// RemedyOf is the remedy of the first *Error in err's chain that has one (None if none has).
func RemedyOf(err error) Remedy {
	for _, e := range chain(err) {
		if fe, ok := e.(*Error); ok && fe.Remedy.Do != None {
			return fe.Remedy
		}
	}
	return Remedy{}
}

// chain is err and everything it wraps, depth first, as errors.Is walks it.
func chain(err error) []error {
	if err == nil {
		return nil
	}
	out := []error{err}
	switch w := err.(type) {
	case interface{ Unwrap() error }:
		out = append(out, chain(w.Unwrap())...)
	case interface{ Unwrap() []error }:
		for _, e := range w.Unwrap() {
			out = append(out, chain(e)...)
		}
	}
	return out
}
