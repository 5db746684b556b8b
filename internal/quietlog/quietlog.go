// Package quietlog silences the standard logger before any other package initialises.
//
// Fyne's packages log from their init functions (under LANG=C.UTF-8, for one, every start
// prints "Fyne error: Error parsing user locale C"), and that would break the command
// line's promise that stderr carries one line of error and nothing else. main imports this
// package; Go initialises the package with the lexically smallest import path among those
// ready (Go 1.21 and later), and "connectedapps/..." sorts before "fyne.io/...", so this runs
// first. The window turns the standard logger back on with Restore, since Fyne's messages
// help there.
package quietlog

import (
	"io"
	"log"
	"os"
)

func init() { log.SetOutput(io.Discard) }

// Restore sends the standard logger to stderr again.
func Restore() { log.SetOutput(os.Stderr) }
