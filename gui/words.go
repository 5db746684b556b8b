package gui

import "strings"

// windowWords is core's one-line message without its command-line advice. core speaks to
// both front ends, and ends many messages with the terminal's way out ("pick another port
// with `connectedapps edit NAME --redirect-port N`", "import it under another name with
// --as NEW"); the window offers its own controls and next steps beside the message, so a
// clause naming a command or a flag is left out. A message that is nothing but such advice
// is kept whole rather than shown empty.
func windowWords(msg string) string {
	var kept []string
	clause := strings.Builder{}
	flush := func(sep string) {
		c := clause.String()
		clause.Reset()
		if c == "" {
			return
		}
		if mentionsCommandLine(c) {
			return
		}
		kept = append(kept, c+sep)
	}
	for i := 0; i < len(msg); i++ {
		// A clause ends at ": " or "; " outside backticks.
		if (msg[i] == ':' || msg[i] == ';') && i+1 < len(msg) && msg[i+1] == ' ' && strings.Count(clause.String(), "`")%2 == 0 {
			flush(string(msg[i]) + " ")
			i++
			continue
		}
		clause.WriteByte(msg[i])
	}
	flush("")
	if len(kept) == 0 {
		return msg
	}
	out := strings.Join(kept, "")
	return strings.TrimRight(out, ":; ")
}

func mentionsCommandLine(s string) bool {
	return strings.Contains(s, "`") || strings.Contains(s, " --") || strings.HasPrefix(s, "--") ||
		strings.Contains(s, "connectedapps ")
}
