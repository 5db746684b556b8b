package app

import (
	"errors"
	"strings"
)

// SplitCommand splits a command line into words as a POSIX shell splits them, and does
// nothing else a shell does: no variables, globs, pipes or redirections, so the command is
// what the person wrote and nothing in an app's document can smuggle a shell in. Single
// quotes keep everything literally; double quotes keep everything but \" \\ \$ \` and a
// backslash-newline; outside quotes a backslash keeps the next character. A person who
// wants a shell writes sh -c '…'. An empty or blank line is no command (nil).
func SplitCommand(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	const (
		plain = iota
		single
		double
	)
	state := plain
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch state {
		case single:
			if r == '\'' {
				state = plain
			} else {
				cur.WriteRune(r)
			}
		case double:
			switch {
			case r == '"':
				state = plain
			case r == '\\' && i+1 < len(rs) && strings.ContainsRune("\"\\$`\n", rs[i+1]):
				i++
				if rs[i] != '\n' {
					cur.WriteRune(rs[i])
				}
			default:
				cur.WriteRune(r)
			}
		default:
			switch {
			case r == ' ' || r == '\t' || r == '\n':
				if inWord {
					words = append(words, cur.String())
					cur.Reset()
					inWord = false
				}
			case r == '\'':
				state, inWord = single, true
			case r == '"':
				state, inWord = double, true
			case r == '\\':
				if i+1 >= len(rs) {
					return nil, errors.New("ends with a lone backslash: remove it or quote it")
				}
				i++
				if rs[i] != '\n' {
					cur.WriteRune(rs[i])
					inWord = true
				}
			default:
				cur.WriteRune(r)
				inWord = true
			}
		}
	}
	switch state {
	case single:
		return nil, errors.New("has a single quote that is never closed: close it")
	case double:
		return nil, errors.New("has a double quote that is never closed: close it")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
